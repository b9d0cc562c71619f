#!/usr/bin/python3
"""Convert an EDM teacher network into a disback model file.

Sources:
  * an EDM training snapshot `network-snapshot-*.pkl` (a pickled dict whose
    `ema` entry is the EDMPrecond network). Unpickling it imports EDM's own
    modules, so the EDM source tree (the folder holding `dnnlib/` and
    `torch_utils/`) must be on PYTHONPATH;
  * a plain PyTorch state dict (`torch.save` of a dict of tensors, possibly
    nested under "state_dict" or "ema") together with --config.

The output is an HDF5 file: attr `format` = "disback-model-1", attr
`config` (JSON architecture), attr `metadata` (JSON provenance) and one
float32 dataset `params/<key>` per entry of the preconditioned network's
state dict (keys start with `model.`).
"""

import argparse
import json
import math
import os
import pickle
import shutil
import subprocess
import sys
import tempfile

import numpy as np

MODEL_FORMAT = "disback-model-1"
CONVERTER = "python/convert_edm.py"
# Options of EDM's preconditioning wrapper, in its positional order.
PRECOND_ARGS = ["img_resolution", "img_channels", "label_dim", "use_fp16", "sigma_min",
                "sigma_max", "sigma_data", "model_type"]
# Runtime switches that do not change the weights.
DROPPED_KEYS = {"use_fp16", "class_name"}
REQUIRED_KEYS = ["img_resolution", "img_channels", "model_type"]


class ConversionError(Exception):
    """A problem with the inputs; the message names the file or the key."""


def parse_args(argv):
    parser = argparse.ArgumentParser(
        prog="convert_edm.py",
        description="Convert an EDM network (network-snapshot-*.pkl, or a state dict .pt/.pth with "
                    "--config) into a disback model file (HDF5).",
        epilog="Unpickling an EDM snapshot imports EDM's modules: put the EDM source tree (the "
               "folder with dnnlib/ and torch_utils/) on PYTHONPATH, e.g. "
               "PYTHONPATH=$HOME/edm /usr/bin/python3 python/convert_edm.py "
               "network-snapshot-200000.pkl teacher.h5. Only EDM preconditioning (EDMPrecond) is "
               "supported.")
    parser.add_argument("source", help="network-snapshot-*.pkl, or a state dict file (.pt/.pth)")
    parser.add_argument("output", help="model file to write (.h5)")
    parser.add_argument("--config", help="architecture for a state dict: a JSON file or a JSON "
                        "string with img_resolution, img_channels, label_dim, sigma_data, "
                        "model_type and the network's keyword arguments")
    parser.add_argument("--disback", default=os.environ.get("DISBACK_BINARY", ""),
                        help="disback program used to check that the output loads (default: "
                             "$DISBACK_BINARY; skipped when empty)")
    return parser.parse_args(argv)


def read_config(text):
    """--config: a path to a JSON file, or the JSON itself."""
    if os.path.exists(text):
        try:
            with open(text, encoding="utf-8") as file:
                return json.load(file)
        except (OSError, json.JSONDecodeError) as error:
            raise ConversionError(f"--config: cannot read '{text}': {error}") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as error:
        raise ConversionError(f"--config: neither a file nor valid JSON ({error}): {text!r}") \
            from None


def load_snapshot(path):
    """The EDMPrecond network of an EDM snapshot, and its constructor arguments."""
    try:
        with open(path, "rb") as file:
            data = pickle.load(file)
    except (ImportError, AttributeError) as error:  # a module or class EDM defines
        raise ConversionError(
            f"'{path}': cannot unpickle the EDM network ({error}); put the EDM source tree (the "
            "folder with dnnlib/ and torch_utils/) on PYTHONPATH") from None
    except (pickle.UnpicklingError, EOFError) as error:
        raise ConversionError(f"'{path}': not a readable pickle: {error}") from None
    net = data.get("ema") if isinstance(data, dict) else data
    if net is None:
        raise ConversionError(f"'{path}': the pickled dict has no 'ema' entry "
                              f"(keys: {sorted(data)})")
    kind = type(net).__name__
    if kind in ("VPPrecond", "VEPrecond", "iDDPMPrecond"):
        raise ConversionError(f"'{path}': {kind} preconditioning is unsupported; disback "
                              "implements EDM preconditioning (EDMPrecond) only")
    if kind != "EDMPrecond":
        raise ConversionError(f"'{path}': the 'ema' network is a {kind}, expected EDMPrecond")
    if not hasattr(net, "init_kwargs"):
        raise ConversionError(f"'{path}': the EDMPrecond object has no init_kwargs; is it an "
                              "EDM persistent class?")
    config = dict(zip(PRECOND_ARGS, getattr(net, "init_args", ())))
    config.update(dict(net.init_kwargs))
    config.setdefault("model_type", "DhariwalUNet")  # EDMPrecond's default
    return net.state_dict(), config


def load_state_dict(path):
    """A dict of tensors saved with torch.save, possibly nested one level."""
    import torch
    try:
        data = torch.load(path, map_location="cpu")
    except Exception as error:  # torch.load raises many kinds for a bad file
        raise ConversionError(f"'{path}': torch.load failed: {error}") from None
    for key in ("state_dict", "ema"):
        if isinstance(data, dict) and key in data and not torch.is_tensor(data[key]):
            data = data[key]
            break
    if hasattr(data, "state_dict") and not isinstance(data, dict):
        data = data.state_dict()
    if not isinstance(data, dict) or not data:
        raise ConversionError(f"'{path}': expected a non-empty dict of tensors, got "
                              f"{type(data).__name__}")
    return data


def clean_config(config, source):
    """Keeps what rebuilds the network; JSON cannot hold EDM's sigma_max = inf."""
    config = {key: value for key, value in dict(config).items() if key not in DROPPED_KEYS}
    for key in ("sigma_min", "sigma_max"):
        value = config.get(key)
        if value is not None and not (isinstance(value, (int, float)) and math.isfinite(value)
                                      and value > 0):
            del config[key]
    missing = [key for key in REQUIRED_KEYS if key not in config]
    if missing:
        raise ConversionError(f"'{source}': the config lacks {', '.join(missing)}")
    config.setdefault("label_dim", 0)
    config.setdefault("sigma_data", 0.5)
    return json.loads(json.dumps(config))  # plain lists and numbers only


def to_model_params(state_dict, source):
    """float32 arrays under the preconditioned network's keys (model.*)."""
    keys = list(state_dict)
    prefixed = [key.startswith("model.") for key in keys]
    if any(prefixed) and not all(prefixed):
        stray = keys[prefixed.index(False)]
        raise ConversionError(f"'{source}': some keys start with 'model.' and some do not, "
                              f"e.g. '{stray}'")
    params = {}
    for key, value in state_dict.items():
        if not hasattr(value, "detach"):
            raise ConversionError(f"'{source}': entry '{key}' is a {type(value).__name__}, "
                                  "not a tensor")
        name = key if all(prefixed) else "model." + key
        params[name] = value.detach().cpu().float().numpy().astype(np.float32)
    return params


def write_model(path, config, params, metadata):
    import h5py
    with h5py.File(path, "w") as file:
        file.attrs["format"] = MODEL_FORMAT
        file.attrs["config"] = json.dumps(config)
        file.attrs["metadata"] = json.dumps(metadata)
        for name, value in sorted(params.items()):
            file.create_dataset("params/" + name, data=value)


def check_loads(disback, path):
    """Runs `disback info` on the written file: the C++ side names any tensor
    that the config does not produce."""
    result = subprocess.run([disback, "info", path], capture_output=True, text=True)
    if result.returncode != 0:
        raise ConversionError(f"the converted network does not load in disback: "
                              f"{result.stderr.strip()}")


def convert(args):
    source = args.source
    if not os.path.isfile(source):
        raise ConversionError(f"'{source}': no such file")
    if source.endswith(".pkl"):
        if args.config:
            raise ConversionError("--config is for state dicts; a snapshot carries its own config")
        state_dict, config = load_snapshot(source)
        kind = "edm-snapshot"
    else:
        if not args.config:
            raise ConversionError(f"'{source}': a state dict needs --config (the architecture)")
        state_dict, config = load_state_dict(source), read_config(args.config)
        if not isinstance(config, dict):
            raise ConversionError(f"--config: expected a JSON object, got {config!r}")
        name = str(config.get("class_name", "EDMPrecond")).rsplit(".", 1)[-1]
        if name != "EDMPrecond":
            raise ConversionError(f"--config: {name} preconditioning is unsupported; disback "
                                  "implements EDM preconditioning (EDMPrecond) only")
        kind = "state-dict"
    config = clean_config(config, source)
    params = to_model_params(state_dict, source)
    metadata = {"source": os.path.abspath(source), "source_kind": kind, "converter": CONVERTER,
                "tensors": len(params)}

    # Written under a temporary name and renamed, so that a failed or
    # rejected conversion leaves no partial file at the output path.
    folder = os.path.dirname(os.path.abspath(args.output))
    handle, temporary = tempfile.mkstemp(suffix=".h5.tmp", dir=folder)
    os.close(handle)
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(temporary, 0o666 & ~umask)  # mkstemp's 0600 would outlive the rename
    try:
        write_model(temporary, config, params, metadata)
        if args.disback:
            if not shutil.which(args.disback):
                raise ConversionError(f"--disback: '{args.disback}' is not an executable")
            check_loads(args.disback, temporary)
        os.replace(temporary, args.output)
    finally:
        if os.path.exists(temporary):
            os.remove(temporary)
    return len(params), config


def main(argv=None):
    args = parse_args(argv)
    try:
        count, config = convert(args)
    except ConversionError as error:
        print(f"convert_edm.py: error: {error}", file=sys.stderr)
        return 1
    checked = "checked with " + args.disback if args.disback else "not checked (no --disback)"
    print(f"wrote {args.output}: {config['model_type']} with {count} tensors, {checked}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
