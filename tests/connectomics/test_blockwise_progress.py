"""The local-scheduler progress bar of blockwise EM goes to stderr: stdout holds only the command's line."""
import dask

from neurodiscovery.connectomics.em.blockwise import _compute


def test_progress_bar_writes_to_stderr_not_stdout(capsys):
    tasks = [dask.delayed(sum)([1, 2]), dask.delayed(sum)([3, 4])]
    assert _compute(tasks, None, {"scheduler": "synchronous"}, progress=True) == (3, 7)
    out, err = capsys.readouterr()
    assert out == "" and "Completed" in err
