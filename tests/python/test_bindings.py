"""Tests of the Python bindings (the `disback` package around `_disback`).

Run with the module on the path, e.g.
    PYTHONPATH=build/python DISBACK_BINARY=build/disback /usr/bin/python3 -m pytest -q tests/python
ctest's python_tests sets both. Without a built module the file is skipped.
"""

import glob
import json
import os
import re
import signal
import subprocess
import sys
import threading

import numpy
import pytest

torch = pytest.importorskip("torch")
h5py = pytest.importorskip("h5py")

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def import_disback():
    try:
        import disback
        return disback
    except ImportError as error:
        built = [path for entry in sys.path if entry
                 for path in glob.glob(os.path.join(entry, "disback", "_disback*.so"))]
        if built:
            raise  # the module is there but does not load: a real failure
        pytest.skip(f"disback bindings not built or not on PYTHONPATH ({error})",
                    allow_module_level=True)


disback = import_disback()


def cli_binary():
    binary = os.environ.get("DISBACK_BINARY", "")
    if not binary or not os.path.exists(binary):
        pytest.skip("DISBACK_BINARY is not set to the built disback program")
    return binary


def run_cli(*args):
    result = subprocess.run([cli_binary(), *map(str, args)], capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, f"disback {' '.join(map(str, args))}:\n{result.stderr}"
    return result.stdout


@pytest.fixture(scope="module", autouse=True)
def one_thread():
    # Small networks gain nothing from more threads, and OpenMP's spin-waits
    # make them many times slower on a loaded machine.
    disback.set_num_threads(1)


@pytest.fixture(autouse=True)
def quiet_log():
    disback.set_log_sink(None)
    yield
    disback.set_log_sink("logging")


@pytest.fixture
def toy_model():
    return disback.Denoiser("toy2d", seed=0)


# Options.


def documented(obj):
    """True if a docstring says more than pybind11's generated signature."""
    lines = [line for line in (obj.__doc__ or "").strip().splitlines() if line.strip()]
    signature = re.compile(r"^(\d+\. )?\w+\(.*\)( -> .+)?$")
    return any(not signature.match(line.strip()) for line in lines)


def test_every_bound_name_is_documented_and_in_the_stubs():
    import inspect

    undocumented = []
    for name in disback.__all__:
        obj = getattr(disback, name)
        if not documented(obj):
            undocumented.append(name)
        if inspect.isclass(obj):
            for attribute, value in vars(obj).items():
                if attribute.startswith("_"):
                    continue
                if not documented(value if isinstance(value, property)
                                  else getattr(obj, attribute)):
                    undocumented.append(f"{name}.{attribute}")
    assert not undocumented, f"no docstring: {undocumented}"

    with open(os.path.join(os.path.dirname(disback.__file__), "_disback.pyi")) as file:
        stubs = set(re.findall(r"^(?:def|class) (\w+)", file.read(), flags=re.M))
    assert not set(disback.__all__) - stubs, "missing from _disback.pyi"
    assert os.path.exists(os.path.join(os.path.dirname(disback.__file__), "py.typed"))


def test_options_build_from_keywords_and_read_back():
    options = disback.SamplerOptions(num_steps=8, S_churn=0, sigma_max=40)
    assert (options.num_steps, options.S_churn, options.sigma_max) == (8, 0.0, 40.0)
    assert options.rho == 7.0, "options not given keep their defaults"
    assert "num_steps=8" in repr(options) and repr(options).startswith("SamplerOptions(")
    assert options.replace(num_steps=3).num_steps == 3 and options.num_steps == 8
    assert options == disback.SamplerOptions(**options.to_dict())

    backtrack = disback.BacktrackOptions(iterations=10, switching={"rule": "convergence"})
    assert backtrack.switching.rule == "convergence"
    assert backtrack.switching.iterations_per_target == 200
    backtrack.switching.threshold = 0.25  # nested options are edited in place
    assert backtrack.to_dict()["switching"]["threshold"] == 0.25

    with pytest.raises(TypeError, match="unknown option 'num_step'.*num_steps"):
        disback.SamplerOptions(num_step=8)
    with pytest.raises(TypeError, match="option 'num_steps' expects"):
        disback.SamplerOptions(num_steps="eight")
    with pytest.raises(RuntimeError, match="iterations"):
        disback.BacktrackOptions(iterations=-1).validate()


# Denoisers.


def test_denoiser_call_checks_dtype_shape_and_values(toy_model):
    x = torch.randn(5, 2)
    out = toy_model(x, 0.5)
    assert out.shape == (5, 2) and out.dtype == torch.float32
    assert torch.equal(out, toy_model(x, torch.full((5,), 0.5)))
    assert toy_model.sample_shape == (2,) and toy_model.label_dim == 0

    with pytest.raises(RuntimeError, match=r"floating-point tensor, got dtype Long"):
        toy_model(torch.ones(5, 2, dtype=torch.int64), 0.5)
    with pytest.raises(RuntimeError, match=r"expected shape \[N, 2\], got \[5, 3\]"):
        toy_model(torch.randn(5, 3), 0.5)
    with pytest.raises(RuntimeError, match=r"noise level > 0, got -0.3"):
        toy_model(x, -0.3)
    with pytest.raises(RuntimeError, match=r"scalar or shape \[5\], got \[4\]"):
        toy_model(x, torch.ones(4))
    with pytest.raises(RuntimeError, match="unconditional"):
        toy_model(x, 0.5, labels=torch.zeros(5, dtype=torch.int64))
    with pytest.raises(TypeError):
        toy_model(x, "loud")


def test_tensors_cross_without_copies(toy_model):
    # Parameters are the module's own storage: an in-place change in Python
    # reaches the C++ forward pass.
    first = toy_model.parameters()
    assert [p.data_ptr() for p in first] == [p.data_ptr() for p in toy_model.parameters()]
    named = toy_model.named_parameters()
    assert len(named) == len(first) and all(isinstance(v, torch.Tensor) for v in named.values())
    x = torch.randn(3, 2)
    before = toy_model(x, 1.0)
    with torch.no_grad():
        for parameter in first:
            parameter.zero_()
    after = toy_model(x, 1.0)
    assert not torch.equal(before, after)
    # With every weight zero, F = 0 and D(x) = c_skip x.
    c_skip = 0.25 / (1.0 + 0.25)
    torch.testing.assert_close(after, c_skip * x)

    # A tensor stored in C++ comes back as the same storage, not a copy.
    stats = disback.FeatureStatistics()
    mu = torch.arange(4, dtype=torch.float64)
    stats.mu = mu
    assert stats.mu.data_ptr() == mu.data_ptr()
    mu[0] = 42.0
    assert stats.mu[0].item() == 42.0


def test_gradients_flow_through_the_cpp_forward(toy_model):
    x = torch.randn(4, 2, requires_grad=True)
    toy_model(x, 0.7).square().sum().backward()
    assert x.grad is not None and x.grad.abs().sum() > 0


def test_model_files_round_trip_with_the_cli(tmp_path, toy_model):
    # Python -> C++ program.
    saved = tmp_path / "from_python.h5"
    toy_model.save(str(saved), metadata={"origin": "pytest"})
    info = run_cli("info", saved)
    assert f"parameters:  {toy_model.parameter_count}" in info
    assert '"origin":"pytest"' in info
    with h5py.File(saved, "r") as file:
        assert file.attrs["format"] == "disback-model-1"
        assert len(file["params"]) >= len(toy_model.parameters())

    # C++ program -> Python.
    trained = tmp_path / "from_cli.h5"
    run_cli("train-teacher", "--dataset", "toy", "--iterations", "3", "--batch", "16",
            "--out", tmp_path / "runs", "--output", trained)
    loaded = disback.load_denoiser(str(trained))
    assert loaded.config["model_type"] == "MlpNet"
    assert disback.read_model_config(str(trained)) == loaded.config
    assert "iteration" in disback.read_model_metadata(str(trained))
    assert loaded(torch.randn(2, 2), 1.0).shape == (2, 2)

    # And back through Python unchanged.
    again = tmp_path / "again.h5"
    disback.save_denoiser(str(again), loaded)
    reloaded = disback.load_denoiser(str(again))
    for a, b in zip(loaded.parameters(), reloaded.parameters()):
        assert torch.equal(a, b)


def test_missing_and_wrong_files_raise_runtime_error_naming_the_file(tmp_path):
    missing = str(tmp_path / "no_such_model.h5")
    for load in (disback.load_denoiser, disback.PathReader, disback.FeatureStatistics.load,
                 disback.load_generator):
        with pytest.raises(RuntimeError, match="no_such_model.h5"):
            load(missing)
    not_a_path = tmp_path / "model.h5"
    disback.Denoiser("toy2d").save(str(not_a_path))
    with pytest.raises(RuntimeError, match="not a degradation path file"):
        disback.PathReader(str(not_a_path))
    with pytest.raises(RuntimeError, match="unknown network preset 'toy3d'"):
        disback.Denoiser("toy3d")


def test_train_teacher_writes_a_run_folder_and_checks_its_data(tmp_path):
    denoiser = disback.Denoiser("toy2d", seed=0)
    data = disback.GaussianMixture2d().sample(256, seed=0)
    options = disback.TeacherTrainOptions(iterations=4, batch_size=16, checkpoint_every=0)
    teacher, run_dir = disback.train_teacher(denoiser, data, options=options,
                                             run_root=str(tmp_path), run_name="pytest")
    assert os.path.exists(os.path.join(run_dir, "teacher.h5"))
    assert disback.read_model_metadata(os.path.join(run_dir, "teacher.h5"))["iteration"] == 4
    assert teacher.config == denoiser.config
    with pytest.raises(RuntimeError, match=r"train_teacher: data: expected shape \[N, 2\]"):
        disback.train_teacher(denoiser, torch.randn(8, 3), options=options,
                              run_root=str(tmp_path))


def test_pipeline_config_errors_name_the_key():
    config = disback.default_pipeline_config()
    assert config["backtrack"]["iterations"] == 2000
    merged = disback.merge_config(config, {"backtrack": {"iterations": 5}})
    assert merged["backtrack"]["iterations"] == 5 and config["backtrack"]["iterations"] == 2000
    with pytest.raises(RuntimeError, match="unknown config key 'bogus'"):
        disback.run_pipeline({"bogus": 1})
    with pytest.raises(RuntimeError, match="'iterations' expects a value like"):
        disback.merge_config(config, {"backtrack": {"iterations": "many"}})
    with pytest.raises(RuntimeError, match="'iterations' expects an integer, got 1.5"):
        disback.merge_config(config, {"backtrack": {"iterations": 1.5}})
    assert disback.merge_config(config, {"backtrack": {"iterations": 1e3}})["backtrack"][
        "iterations"] == 1000


def test_pipeline_trains_its_teacher_with_the_configured_arch(tmp_path):
    config = {"out": str(tmp_path), "teacher": {"file": str(tmp_path / "none.h5"), "arch": "nope"}}
    with pytest.raises(RuntimeError, match="teacher.arch: unknown network preset 'nope'"):
        disback.run_pipeline(config)


# Sampling.


def test_generate_agrees_with_the_cli_sampler_on_the_same_seed(tmp_path, toy_model):
    model = tmp_path / "model.h5"
    toy_model.save(str(model))
    out = tmp_path / "cli_samples.h5"
    run_cli("sample", "--model", model, "--sampler", "heun", "--steps", "8", "--count", "4",
            "--seed", "3", "--h5", out, "--quiet")
    with h5py.File(out, "r") as file:
        cli_images = torch.from_numpy(file["images"][...])

    ours = disback.generate(disback.load_denoiser(str(model)), count=4, sampler="heun", steps=8,
                            seed=3, progress=False)
    assert ours.nfe == 15 and ours.images.shape == (4, 2)
    error = (ours.images.clamp(-1, 1) - cli_images).abs().max().item()
    print(f"Python vs CLI heun-8: max |difference| {error:.2e} (allowed 1e-5)")
    assert error <= 1e-5

    # The saved form matches what the CLI writes.
    ours_file = tmp_path / "python_samples.h5"
    ours.save_h5(str(ours_file))
    with h5py.File(ours_file, "r") as file:
        assert torch.equal(torch.from_numpy(file["images"][...]), ours.images.clamp(-1, 1))


def test_every_sampler_runs_with_one_contract(toy_model):
    latents = torch.randn(6, 2, generator=torch.Generator().manual_seed(0))
    for name in disback.sampler_names():
        sampler = disback.Sampler(name, steps=4, S_churn=10)
        first = disback.sample(toy_model, latents, sampler=sampler, seed=1)
        second = sampler.sample(toy_model, latents, seed=1)
        assert first.shape == (6, 2) and torch.isfinite(first).all(), name
        assert torch.equal(first, second), f"{name}: not reproducible from its seed"
    with pytest.raises(RuntimeError, match="unknown sampler|heun"):
        disback.sample(toy_model, latents, sampler="rk45")
    with pytest.raises(RuntimeError, match=r"expected shape \[N, 2\]"):
        disback.sample(toy_model, torch.randn(6, 3))
    with pytest.raises(RuntimeError, match="floating-point"):
        disback.sample(toy_model, torch.ones(6, 2, dtype=torch.int32))


def test_sample_takes_python_callables_and_reports_steps(toy_model):
    seen = []
    latents = torch.randn(3, 2)
    samples = disback.sample(lambda x, sigma, labels: toy_model(x, sigma), latents,
                             sampler="euler", steps=5,
                             callback=lambda i, sigma, x, d: seen.append((i, sigma)))
    assert samples.shape == (3, 2)
    assert [i for i, _ in seen] == list(range(5))
    assert seen[0][1] == pytest.approx(80.0)
    direct = disback.sample(toy_model, latents, sampler="euler", steps=5)
    torch.testing.assert_close(samples, direct)


# Metrics.


def test_feature_statistics_files_and_distances(tmp_path):
    generator = torch.Generator().manual_seed(0)
    a = torch.randn(200, 8, generator=generator)
    b = torch.randn(200, 8, generator=generator) + 0.5
    stats_a = disback.FeatureStatistics.of(a, detector="test")
    stats_b = disback.FeatureStatistics.of(b, detector="test")
    for name in ("stats.h5", "stats.npz"):
        stats_a.save(str(tmp_path / name))
        loaded = disback.FeatureStatistics.load(str(tmp_path / name))
        torch.testing.assert_close(loaded.mu, stats_a.mu)
        torch.testing.assert_close(loaded.sigma, stats_a.sigma)
    assert disback.frechet_distance(stats_a, stats_a) == pytest.approx(0.0, abs=1e-6)
    assert disback.frechet_distance(stats_a, stats_b) > 1.0
    kid = disback.kernel_inception_distance(a, b, disback.KidOptions(subsets=5, subset_size=50))
    assert kid.mean > 0
    pr = disback.precision_recall(a, a, k=3)
    assert pr.precision == pytest.approx(1.0) and pr.recall == pytest.approx(1.0)
    with pytest.raises(RuntimeError, match=r"features \[N, D\]"):
        disback.FeatureStatistics.of(torch.randn(10))


def test_evaluator_on_the_project_classifier():
    classifier = os.path.join(REPO, "models", "fmnist_classifier.h5")
    if not os.path.exists(classifier):
        pytest.skip("models/fmnist_classifier.h5 not trained in this checkout")
    detector = disback.load_classifier_detector(classifier)
    generator = torch.Generator().manual_seed(0)
    reference_images = torch.rand(64, 1, 16, 16, generator=generator) * 2 - 1
    reference = disback.image_statistics(detector, reference_images, kept_features=64)
    evaluator = disback.Evaluator(detector, reference,
                                  disback.EvalOptions(batch_size=32, progress=False,
                                                      kid=disback.KidOptions(subset_size=32)))
    result = evaluator.evaluate(lambda n: torch.rand(n, 1, 16, 16) * 2 - 1, 64)
    assert result.count == 64 and result.fid >= 0 and result.kid is not None
    assert "fid" in result.to_dict() and result.summary().startswith("FID")
    with pytest.raises(RuntimeError, match="returned 3"):
        evaluator.evaluate(lambda n: torch.zeros(3, 1, 16, 16), 8)


# Logging and interrupts.


def test_log_messages_reach_a_python_sink(toy_model):
    messages = []
    disback.set_log_sink(lambda level, message: messages.append((level, message)))
    disback.generate(toy_model, count=4, batch_size=2, sampler="euler", steps=2, progress=True)
    assert any(level == "info" and message.startswith("sample") for level, message in messages)
    with pytest.raises(ValueError, match="log level"):
        disback.set_log_level("loud")


def test_ctrl_c_stops_a_step_loop_between_steps():
    teacher = disback.Denoiser("toy2d", seed=0)
    generator = disback.OneStepGenerator.from_teacher(teacher)
    options = disback.BacktrackOptions(iterations=1_000_000, batch_size=8, holdout_size=8)
    steps = []
    timer = threading.Timer(0.5, os.kill, (os.getpid(), signal.SIGINT))
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            disback.backtrack(teacher, generator, None, options, callback=steps.append,
                              progress=False)
    finally:
        timer.cancel()
    assert 0 < len(steps) < 1_000_000


def test_an_interrupt_raised_in_the_log_sink_stops_a_cpp_loop(toy_model):
    def sink(level, message):
        raise KeyboardInterrupt

    disback.set_log_sink(sink)
    with pytest.raises(KeyboardInterrupt):
        disback.generate(toy_model, count=4, batch_size=1, sampler="euler", steps=2)


# End to end.


@pytest.fixture(scope="module")
def toy_teacher():
    options = disback.toy_defaults().replace(teacher_iterations=600, teacher_batch=128)
    return disback.train_toy_teacher(options)


def test_distillation_driven_step_by_step_brings_the_generator_to_the_data(tmp_path,
                                                                        toy_teacher):
    options = disback.toy_defaults().replace(eval_samples=2000)
    options.degradation.num_checkpoints = 2
    options.degradation.interval = 60
    options.degradation.batch_size = 128
    options.backtrack.iterations = 240
    options.backtrack.batch_size = 128
    options.backtrack.holdout_size = 128
    options.backtrack.switching.iterations_per_target = 120

    # Degradation, a step at a time.
    path_file = str(tmp_path / "path.h5")
    initial = disback.OneStepGenerator.from_teacher(toy_teacher, options.sigma_init)
    recorder = disback.DegradationRecorder(toy_teacher, initial, path_file, options.degradation)
    losses = []
    while not recorder.finished:
        metrics = recorder.step()
        assert set(metrics) == {"step", "loss", "checkpoints"}
        losses.append(metrics["loss"])
    assert len(losses) == 120 and recorder.steps_done == 120
    recorder.finish()
    path = disback.PathReader(path_file)
    assert path.num_checkpoints == 2 and path.config == toy_teacher.config
    assert path.load(2).parameter_count == toy_teacher.parameter_count

    # Backtracking, a step at a time.
    generator = disback.OneStepGenerator.from_teacher(toy_teacher, options.sigma_init)
    backtracker = disback.Backtracker(toy_teacher, generator, path, options.backtrack)
    assert backtracker.target_index == 1
    start = disback.toy_distance(generator, options)
    switches = []
    while not backtracker.finished:
        metrics = backtracker.step()
        if metrics["switched"]:
            switches.append(backtracker.iteration)
    final = disback.toy_distance(backtracker.ema_generator(), options)
    print(f"sliced W1 to the data: G_0 {start:.4f} -> distilled {final:.4f} "
          f"(required: below {0.6 * start:.4f}); switches at {switches}")
    assert backtracker.target_index == 0 and switches == [120]
    assert final < 0.6 * start

    # The generator was trained in place, and checkpoints round-trip.
    checkpoint = str(tmp_path / "checkpoint.h5")
    backtracker.save_checkpoint(checkpoint)
    resumed = disback.Backtracker(toy_teacher,
                                  disback.OneStepGenerator.from_teacher(toy_teacher),
                                  path, options.backtrack)
    resumed.load_checkpoint(checkpoint)
    assert resumed.iteration == 240 and resumed.finished
    z = torch.randn(16, 2)
    torch.testing.assert_close(resumed.generator(z), generator(z))

    # The generator file is what the CLI samples with the onestep sampler.
    generator_file = tmp_path / "generator.h5"
    generator.save(str(generator_file))
    loaded = disback.load_generator(str(generator_file))
    assert loaded.sigma_init == options.sigma_init
    cli_file = tmp_path / "onestep.h5"
    run_cli("sample", "--model", generator_file, "--sampler", "onestep", "--count", "4",
            "--seed", "3", "--h5", cli_file, "--quiet")
    ours = disback.generate(loaded, count=4, seed=3, progress=False)
    assert ours.sampler.name == "onestep" and ours.nfe == 1
    with h5py.File(cli_file, "r") as file:
        torch.testing.assert_close(ours.images.clamp(-1, 1),
                                   torch.from_numpy(file["images"][...]), rtol=0, atol=1e-5)


def test_one_call_stages_report_every_step(tmp_path):
    teacher = disback.Denoiser("toy2d", seed=1)
    initial = disback.OneStepGenerator.from_teacher(teacher)
    seen = []
    metadata = disback.record_degradation(
        teacher, initial, str(tmp_path / "path.h5"),
        disback.DegradationOptions(num_checkpoints=2, interval=3, batch_size=16),
        provenance={"test": True}, callback=seen.append, progress=False)
    assert [m["step"] for m in seen] == list(range(1, 7))
    assert metadata["N"] == 2 and metadata["test"] is True
    history = disback.Backtracker(
        teacher, disback.OneStepGenerator.from_teacher(teacher), str(tmp_path / "path.h5"),
        disback.BacktrackOptions(iterations=6, batch_size=16, holdout_size=16,
                                 switching={"iterations_per_target": 3})).run(progress=False)
    assert [m["iteration"] for m in history] == list(range(1, 7))
    assert [m["target"] for m in history][-1] == 0


def test_example_script_runs(tmp_path):
    script = os.path.join(REPO, "python", "examples", "distill_toy.py")
    result = subprocess.run([sys.executable, script, "--quick", "--threads", "1",
                             "--out", str(tmp_path)],
                            capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr
    assert "distilled" in result.stdout
    assert (tmp_path / "generator.h5").exists()


def test_example_notebook_is_valid_and_its_cells_compile():
    import json

    with open(os.path.join(REPO, "python", "examples", "distill_toy.ipynb")) as file:
        notebook = json.load(file)
    assert notebook["nbformat"] == 4
    code = [cell for cell in notebook["cells"] if cell["cell_type"] == "code"]
    assert len(code) >= 5
    for index, cell in enumerate(code):
        compile("".join(cell["source"]), f"cell {index}", "exec")
        names = {name for name in dir(disback) if not name.startswith("_")}
        for used in set(re.findall(r"disback\.(\w+)", "".join(cell["source"]))):
            assert used in names, f"cell {index} uses disback.{used}, which does not exist"


def test_float16_path_files_read_back_in_h5py(tmp_path):
    import h5py
    teacher = disback.Denoiser("toy2d", seed=1)
    path_file = str(tmp_path / "path.h5")
    metadata = disback.record_degradation(
        teacher, disback.OneStepGenerator.from_teacher(teacher), path_file,
        disback.DegradationOptions(num_checkpoints=2, interval=3, batch_size=16), progress=False)
    assert metadata["options"]["storage"] == "float16-delta"
    assert len(metadata["checkpoint_max_errors"]) == 2
    assert disback.PathReader(path_file).storage == "float16-delta"
    s2 = disback.PathReader(path_file).load(2).named_parameters()
    with h5py.File(path_file, "r") as h5:
        assert h5.attrs["checkpoint_storage"] == "float16-delta"
        for name, weights in s2.items():
            delta = h5[f"checkpoints/0002/{name}"][()]
            assert delta.dtype == numpy.float16, name
            rebuilt = h5[f"teacher/{name}"][()] + delta.astype(numpy.float32).reshape(
                h5[f"teacher/{name}"].shape)
            numpy.testing.assert_array_equal(rebuilt, weights.detach().numpy())
    assert "degradation path" in run_cli("info", path_file)

    # A path whose attributes promise more checkpoints than it holds is refused on opening.
    with h5py.File(path_file, "r+") as h5:
        h5.attrs["num_checkpoints"] = 9
    with pytest.raises(RuntimeError, match="lacks checkpoints/0003"):
        disback.PathReader(path_file)
    with pytest.raises(RuntimeError, match="is a degradation path, not a model file"):
        disback.load_denoiser(path_file)


def test_record_path_never_overwrites_its_teacher(tmp_path):
    teacher = str(tmp_path / "teacher.h5")
    disback.Denoiser("toy2d", seed=1).save(teacher)
    before = open(teacher, "rb").read()
    for output, reason in ((teacher, "is the teacher"), (str(tmp_path), "is a folder")):
        result = subprocess.run(
            [cli_binary(), "record-path", "--teacher", teacher, "--output", output,
             "--num-checkpoints", "1", "--interval", "2", "--threads", "1"],
            capture_output=True, text=True, timeout=120)
        assert result.returncode != 0 and f"--output: '{output}' {reason}" in result.stderr
    assert open(teacher, "rb").read() == before


def test_study_writes_curves_and_table_and_keeps_a_path_it_cannot_reuse(tmp_path):
    out = tmp_path / "study"
    quick = ("backtrack.iterations=40,backtrack.iterations_per_target=10,"
             "degradation.interval=10,study.eval_every=20,study.eval_samples=500")
    run_cli("study", "--problem", "toy", "--seeds", "1", "--set", quick, "--out", out,
            "--threads", "1")
    rows = [json.loads(line) for line in open(out / "curves.jsonl")]
    assert [(r["method"], r["iteration"]) for r in rows] == [
        (m, i) for m in ("baseline", "disback") for i in (0, 20, 40)]
    summary = json.load(open(out / "summary.json"))
    assert summary["disback_switch_iterations"] == {"0": [10, 20, 30]}
    assert "speed-up" in open(out / "table.md").read()
    assert json.load(open(out / "config.json"))["backtrack"]["iterations"] == 40

    # Re-reading the same curves with a looser tolerance runs nothing.
    run_cli("study", "--problem", "toy", "--set", quick + ",study.tolerance=0.5", "--out", out,
            "--tabulate-only")
    summary = json.load(open(out / "summary.json"))
    assert summary["tolerance"] == 0.5
    assert summary["disback_switch_iterations"] == {"0": [10, 20, 30]}
    assert "DisBack settles at" in open(out / "table.md").read()

    path_bytes = (out / "path_seed0.h5").read_bytes()
    result = subprocess.run(
        [cli_binary(), "study", "--problem", "toy", "--seeds", "1", "--out", str(out),
         "--set", quick.replace("interval=10", "interval=12"), "--threads", "1"],
        capture_output=True, text=True, timeout=300)
    assert result.returncode != 0
    assert "path_seed0.h5" in result.stderr and "remove the file" in result.stderr
    assert "baseline seed 0" not in result.stderr, "the stale path must be refused before any run"
    assert (out / "path_seed0.h5").read_bytes() == path_bytes
    assert (out / "curves.jsonl").exists(), "a failed study must not remove earlier curves"
