"""A multi-input, multi-output functional model and its summary.

A toy ticket router: the title (token ids) and body features go in; a priority score
and a department come out. Shows Input, shared and nested layers, torch functions on
KerasTensors, dict inputs/outputs, summary(), and a config round trip.

Run: python examples/functional_api.py [--device cuda]
"""

import json

import torch

import torch_keraslike as tkl
from _common import parse_device
from torch_keraslike import layers


def build_model(vocabulary=1000, departments=4):
    title = tkl.Input((12,), dtype="int64", name="title")
    body = tkl.Input((32,), name="body")
    tokens = layers.Embedding(vocabulary, 16, name="embed")(title)
    title_features = layers.GlobalAveragePooling1D(name="pool")(tokens)
    body_features = layers.Dense(16, activation="relu", name="body_dense")(body)
    merged = torch.cat([title_features, body_features], dim=-1)  # a torch op joins the graph
    hidden = layers.Dense(32, activation="relu", name="hidden")(merged)
    priority = layers.Dense(1, activation="sigmoid", name="priority")(hidden)
    department = layers.Dense(departments, activation="softmax", name="department")(hidden)
    return tkl.Model({"title": title, "body": body}, {"priority": priority, "department": department},
                     name="ticket_router")


def main():
    args = parse_device(__doc__)
    model = build_model().to(args.device)
    model.summary()
    batch = {"title": torch.randint(0, 1000, (5, 12), device=args.device),
             "body": torch.randn(5, 32, device=args.device)}
    model.eval()
    outputs = model(batch)
    print({name: tuple(value.shape) for name, value in outputs.items()})
    clone = tkl.Model.from_config(json.loads(json.dumps(model.get_config()))).to(args.device)
    clone.load_state_dict(model.state_dict())
    clone.eval()
    same = all(torch.allclose(clone(batch)[k], outputs[k]) for k in outputs)
    print("config round trip gives the same outputs:", same)


if __name__ == "__main__":
    main()
