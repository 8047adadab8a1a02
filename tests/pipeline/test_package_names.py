import subprocess
import sys


def test_analyze_is_the_function_even_after_its_module_is_imported():
    code = ("import neurodiscovery.pipeline.analyze\n"
            "import neurodiscovery as nd\n"
            "from neurodiscovery.pipeline import analyze\n"
            "assert callable(analyze) and analyze is nd.pipeline.analyze, analyze\n"
            "assert nd.pipeline.analyze.__module__ == 'neurodiscovery.pipeline.analyze'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
