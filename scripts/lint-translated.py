#!/usr/bin/env python3
"""Lints what CloudFormation will really see: the SAM template after the Serverless transform.

cfn-lint on infra/template.yaml checks the SAM form only; some errors exist only after the
transform, e.g. a circular dependency between a function and the HTTP API whose route SAM
generates for it. This runs samtranslator (the transform's own code, installed with SAM CLI)
locally, with the functions' local CodeUri swapped for placeholder S3 locations, and runs
cfn-lint on the result.

    .venv/bin/python scripts/lint-translated.py infra/template.yaml   (make lint runs it)
"""
import json
import os
import subprocess
import sys
import tempfile

from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform


class NoManagedPolicies:
    """The template names managed policies by ARN only, so nothing needs looking up."""

    def load(self):
        return {}


def main(path):
    with open(path) as f:
        template = yaml_parse(f.read())
    for name, resource in template.get("Resources", {}).items():
        if resource.get("Type") == "AWS::Serverless::Function":
            resource.setdefault("Properties", {})["CodeUri"] = f"s3://placeholder-bucket/{name}.zip"
    translated = transform(template, {}, NoManagedPolicies())
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as out:
        json.dump(translated, out, indent=1)
    try:
        lint = os.path.join(os.path.dirname(sys.executable), "cfn-lint")
        done = subprocess.run([lint, out.name])
    finally:
        os.unlink(out.name)
    if done.returncode != 0:
        print(f"lint-translated: cfn-lint found problems in the transformed {path}", file=sys.stderr)
        return 1
    print(f"lint-translated: {path} after the Serverless transform: "
          f"{len(translated['Resources'])} resources, cfn-lint clean")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1] if len(sys.argv) > 1 else "infra/template.yaml"))
