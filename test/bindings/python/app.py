"""The Python binding, used for real: the full WeatherPipeline for three cities, synthesized from Python.

Usage: python app.py OUTDIR. Writes the cloud assembly to OUTDIR; test/bindings/test_bindings.py asserts on it.
"""
import sys

import aws_cdk as cdk
from cdk_weather_pipeline import City, WeatherPipeline

app = cdk.App(outdir=sys.argv[1])
stack = cdk.Stack(app, "WeatherPipelinePython", description="cdk-weather-pipeline from Python")
pipeline = WeatherPipeline(
    stack,
    "Weather",
    cities=[
        City(name="Paris", latitude=48.8566, longitude=2.3522, timezone="Europe/Paris"),
        City(name="Marseille", latitude=43.2965, longitude=5.3698, timezone="Europe/Paris"),
        City(name="Saint-Étienne", latitude=45.4397, longitude=4.3872, timezone="Europe/Paris"),
    ],
)

# Typed attributes cross the language boundary as the construct types they are.
assert [city.name for city in pipeline.cities] == ["Paris", "Marseille", "Saint-Étienne"], pipeline.cities
assert cdk.Token.is_unresolved(pipeline.landing_zone.bucket.bucket_name)
assert cdk.Token.is_unresolved(pipeline.orchestrator.state_machine.state_machine_arn)

app.synth()
