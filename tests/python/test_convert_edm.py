"""python/convert_edm.py: state dicts and EDM snapshots become model files
whose denoiser, run by the C++ program, reproduces the golden outputs."""

import json
import os
import pickle
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest
import torch

REPO = Path(__file__).resolve().parents[2]
CONVERTER = REPO / "python" / "convert_edm.py"
GOLDEN = REPO / "tests" / "data" / "golden"
GOLDEN_FILES = sorted(GOLDEN.glob("edm_*.h5"))
RELATIVE_TOLERANCE = 1e-4  # float32 on a CPU agrees to about 1e-5 of the output scale


def disback_binary():
    path = Path(os.environ.get("DISBACK_BINARY", REPO / "build" / "disback"))
    if not path.is_file():
        pytest.skip(f"no disback program at {path} (set DISBACK_BINARY)")
    return str(path)


def read_golden(path):
    with h5py.File(path, "r") as file:
        params = {key: torch.from_numpy(file["params"][key][()]) for key in file["params"]}
        inputs = {key: file["inputs"][key][()] for key in file["inputs"]}
        return json.loads(file.attrs["config"]), params, inputs, file["outputs/D"][()]


def run_converter(*args, env=None):
    return subprocess.run([sys.executable, str(CONVERTER), *map(str, args)], capture_output=True,
                          text=True, env=env)


def denoise_error(model, inputs, expected, folder):
    """Max abs error of `disback denoise` against the reference output."""
    input_path, output_path = folder / "inputs.h5", folder / "outputs.h5"
    with h5py.File(input_path, "w") as file:
        for key, value in inputs.items():
            file[key] = value
    result = subprocess.run([disback_binary(), "denoise", "--model", model, "--input", input_path,
                             "--output", output_path, "--threads", "2"], capture_output=True,
                            text=True)
    assert result.returncode == 0, result.stderr
    with h5py.File(output_path, "r") as file:
        actual = file["D"][()]
    assert actual.shape == expected.shape
    return float(np.abs(actual - expected).max()), float(np.abs(expected).max())


def check_matches_golden(model, golden, folder):
    _, _, inputs, expected = read_golden(golden)
    error, scale = denoise_error(model, inputs, expected, folder)
    tolerance = RELATIVE_TOLERANCE * scale
    print(f"{golden.name}: max|err| {error:.3e}  output scale {scale:.3e}  "
          f"tolerance {tolerance:.3e}")
    assert error <= tolerance, f"{golden.name}: error {error:.3e} > tolerance {tolerance:.3e}"


@pytest.mark.parametrize("golden", GOLDEN_FILES, ids=[path.stem for path in GOLDEN_FILES])
def test_state_dict_conversion_reproduces_golden_outputs(golden, tmp_path):
    config, params, _, _ = read_golden(golden)
    # Exercise both layouts: bare network keys (no "model.") and a nested dict.
    if "ncsnpp" in golden.name:
        params = {key[len("model."):]: value for key, value in params.items()}
    saved = {"state_dict": params} if "adm" in golden.name else params
    torch.save(saved, tmp_path / "weights.pt")
    (tmp_path / "config.json").write_text(json.dumps(config))
    model = tmp_path / "model.h5"

    result = run_converter(tmp_path / "weights.pt", model, "--config", tmp_path / "config.json",
                           "--disback", disback_binary())
    assert result.returncode == 0, result.stderr
    with h5py.File(model, "r") as file:
        assert file.attrs["format"] == "disback-model-1"
        assert json.loads(file.attrs["metadata"])["converter"] == "python/convert_edm.py"
        assert set(file["params"]) == {key if key.startswith("model.") else "model." + key
                                       for key in params}
        assert all(file["params"][key].dtype == np.float32 for key in file["params"])
    check_matches_golden(model, golden, tmp_path)


def test_missing_source_is_named(tmp_path):
    result = run_converter(tmp_path / "absent.pt", tmp_path / "out.h5", "--config", "{}")
    assert result.returncode == 1
    assert "absent.pt" in result.stderr and "no such file" in result.stderr


def test_state_dict_without_config_is_refused(tmp_path):
    torch.save({"model.map_layer0.weight": torch.zeros(2, 2)}, tmp_path / "weights.pt")
    result = run_converter(tmp_path / "weights.pt", tmp_path / "out.h5")
    assert result.returncode == 1 and "--config" in result.stderr


def test_config_that_does_not_match_names_the_tensor(tmp_path):
    golden = GOLDEN / "edm_ddpmpp_uncond_16px.h5"
    config, params, _, _ = read_golden(golden)
    config["model_channels"] = 32  # every convolution is now twice as wide
    torch.save(params, tmp_path / "weights.pt")
    output = tmp_path / "out.h5"
    result = run_converter(tmp_path / "weights.pt", output, "--config", json.dumps(config),
                           "--disback", disback_binary())
    assert result.returncode == 1
    assert "model.enc.16x16_conv.weight" in result.stderr, result.stderr
    assert not output.exists() and not list(tmp_path.glob("*.tmp"))


STUB_MODULE = '''
class EDMPrecond:
    """Stands in for EDM's persistent EDMPrecond: constructor arguments in
    init_kwargs, weights from state_dict()."""
    def __init__(self, params, **kwargs):
        self.init_kwargs = kwargs
        self._params = params
    def state_dict(self):
        return dict(self._params)

class VPPrecond(EDMPrecond):
    pass
'''


def write_snapshot(folder, class_name, golden):
    """A network-snapshot-*.pkl whose classes live in a module that only
    PYTHONPATH=folder can import, as EDM's do."""
    (folder / "edm_stub_networks.py").write_text(STUB_MODULE)
    sys.path.insert(0, str(folder))
    try:
        import edm_stub_networks
        config, params, _, _ = read_golden(golden)
        kwargs = dict(config, use_fp16=True, sigma_min=0, sigma_max=float("inf"))
        net = getattr(edm_stub_networks, class_name)(params, **kwargs)
        path = folder / "network-snapshot-000000.pkl"
        with open(path, "wb") as file:
            pickle.dump({"ema": net, "loss_fn": None, "augment_pipe": None}, file)
    finally:
        sys.path.remove(str(folder))
        sys.modules.pop("edm_stub_networks", None)
    return path


def test_snapshot_conversion_reads_init_kwargs(tmp_path):
    golden = GOLDEN / "edm_ddpmpp_cond_16px.h5"
    snapshot = write_snapshot(tmp_path, "EDMPrecond", golden)
    model = tmp_path / "model.h5"
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = run_converter(snapshot, model, "--disback", disback_binary(), env=env)
    assert result.returncode == 0, result.stderr
    with h5py.File(model, "r") as file:
        config = json.loads(file.attrs["config"])
    assert "use_fp16" not in config and "sigma_max" not in config
    assert config["label_dim"] == 10 and config["model_type"] == "SongUNet"
    check_matches_golden(model, golden, tmp_path)


def test_snapshot_without_edm_on_pythonpath_says_so(tmp_path):
    snapshot = write_snapshot(tmp_path, "EDMPrecond", GOLDEN / "edm_ddpmpp_cond_16px.h5")
    env = {key: value for key, value in os.environ.items() if key != "PYTHONPATH"}
    result = run_converter(snapshot, tmp_path / "model.h5", env=env)
    assert result.returncode == 1
    assert snapshot.name in result.stderr and "PYTHONPATH" in result.stderr


def test_vp_preconditioning_is_unsupported(tmp_path):
    snapshot = write_snapshot(tmp_path, "VPPrecond", GOLDEN / "edm_ddpmpp_cond_16px.h5")
    env = dict(os.environ, PYTHONPATH=str(tmp_path))
    result = run_converter(snapshot, tmp_path / "model.h5", env=env)
    assert result.returncode == 1
    assert "VPPrecond" in result.stderr and "unsupported" in result.stderr


def test_help_mentions_the_edm_source_tree():
    result = run_converter("--help")
    assert result.returncode == 0 and "PYTHONPATH" in result.stdout
