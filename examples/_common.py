"""Shared command-line handling of the examples: ``--device cpu|cuda``."""

import argparse

import torch


def parse_device(description, extra=None):
    """Parses ``--device`` (and the options ``extra(parser)`` adds); returns the args."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--device", default="cpu", help="cpu (default) or cuda")
    if extra is not None:
        extra(parser)
    args = parser.parse_args()
    if args.device.startswith("cuda") and not torch.cuda.is_available():
        parser.error("--device cuda was asked for, but torch.cuda.is_available() is False")
    args.device = torch.device(args.device)
    return args
