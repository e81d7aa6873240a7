#!/usr/bin/env bash
# Deploys the SAM-built stack to a throw-away moto server (AWS stand-in), as a check that the
# template translates and that what moto can emulate of it deploys. No real AWS is touched.
#
#   SAM_BUILD_DIR=.aws-sam/build scripts/deploy-to-moto.sh [ParamKey=Value ...]
#
# SAM_BUILD_DIR is the output of `sam build` (default: .aws-sam/build). Parameters default to
# StoreHash=abc123 AlarmEmail=ops@example.com; extra Key=Value arguments are added or override
# them (e.g. InboundFifo=true ExportBucketName=my-archive).
#
# What it does, against a moto server on a free loopback port (stopped on exit):
#   1. `sam package` uploads the built functions to a moto S3 bucket.
#   2. samtranslator (the code behind the AWS::Serverless-2016-10-31 transform) turns the packaged
#      template into plain CloudFormation; moto does not run transforms itself.
#   3. cfn-lint checks the translated template (it finds, e.g., circular dependencies that moto
#      cannot see because it skips the resource types involved).
#   4. A moto-compatibility pass evaluates the (parameter-only) Conditions, replaces Fn::If by the
#      chosen branch and drops AWS::NoValue; moto 5.x keeps NoValue list items as null and then
#      crashes (e.g. on the OrderExportFunctionRole policy list). Real CloudFormation does this itself.
#   5. `CreateStack` on moto, then a report: stack status, each resource moto materialised,
#      each resource it ignored (types moto's CloudFormation does not implement), the outputs.
#
# Why not `sam deploy`: moto does not run the Serverless transform (ExecuteChangeSet fails with
# "Fn::GetAtt references undefined resource TokenRefreshFunction"); `--resolve-s3` fails because
# moto's change-set path leaves the managed stack without Outputs; and moto only reads a
# path-style TemplateURL when the host is "localhost".
#
# Exit status: 0 stack CREATE_COMPLETE and cfn-lint clean; 1 the moto deploy failed;
# 3 moto deployed it but cfn-lint reported errors in the translated template (real
# CloudFormation would likely reject it).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
venv="$root/.venv/bin"
py="$venv/python"
for tool in moto_server sam cfn-lint python; do
  if [[ ! -x "$venv/$tool" ]]; then
    echo "deploy-to-moto: $venv/$tool not found; run 'make venv' first" >&2
    exit 2
  fi
done

build_dir=${SAM_BUILD_DIR:-$root/.aws-sam/build}
build_dir=$(cd "$build_dir" 2>/dev/null && pwd) || { echo "deploy-to-moto: no SAM build at ${SAM_BUILD_DIR:-$root/.aws-sam/build}; run 'sam build' first" >&2; exit 2; }
[[ -f "$build_dir/template.yaml" ]] || { echo "deploy-to-moto: $build_dir/template.yaml missing" >&2; exit 2; }

stack_name=${STACK_NAME:-b2b-moto}
params=(StoreHash=abc123 AlarmEmail=ops@example.com "$@")

work=$(mktemp -d /tmp/deploy-to-moto.XXXXXX)
port=$("$py" -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
log="$work/moto.log"

"$venv/moto_server" -H 127.0.0.1 -p "$port" >"$log" 2>&1 &
moto_pid=$!
cleanup() {
  kill "$moto_pid" 2>/dev/null || true
  wait "$moto_pid" 2>/dev/null || true
}
trap cleanup EXIT INT TERM

# "localhost", not 127.0.0.1: moto parses a path-style TemplateURL only for that host name.
export AWS_ENDPOINT_URL="http://localhost:$port"
export AWS_REGION=us-east-1 AWS_DEFAULT_REGION=us-east-1
export AWS_ACCESS_KEY_ID=testing AWS_SECRET_ACCESS_KEY=testing
export AWS_EC2_METADATA_DISABLED=true SAM_CLI_TELEMETRY=0

for _ in $(seq 1 100); do
  if "$py" -c "import sys,urllib.request; urllib.request.urlopen('http://127.0.0.1:$port/moto-api/', timeout=1)" 2>/dev/null; then break; fi
  if ! kill -0 "$moto_pid" 2>/dev/null; then
    echo "deploy-to-moto: moto server exited; log follows" >&2
    cat "$log" >&2
    exit 2
  fi
  sleep 0.1
done
echo "deploy-to-moto: moto on $AWS_ENDPOINT_URL, scratch in $work" >&2

bucket=sam-artifacts-moto
"$py" -c "import boto3; boto3.client('s3').create_bucket(Bucket='$bucket')"

echo "== 1. sam package" >&2
(cd "$build_dir" && "$venv/sam" package --template-file template.yaml --s3-bucket "$bucket" \
  --output-template-file "$work/packaged.yaml" --no-progressbar >"$work/package.log" 2>&1) \
  || { cat "$work/package.log" >&2; exit 1; }

echo "== 2. Serverless transform (samtranslator)" >&2
"$py" - "$work/packaged.yaml" "$work/translated.json" "${params[@]}" <<'PY'
import collections, json, sys, boto3
from samcli.yamlhelper import yaml_parse
from samtranslator.translator.transform import transform
from samtranslator.translator.managed_policy_translator import ManagedPolicyLoader
src, out, *args = sys.argv[1:]
params = dict(a.split("=", 1) for a in args)
cfn = transform(yaml_parse(open(src).read()), params, ManagedPolicyLoader(boto3.client("iam")))
json.dump(cfn, open(out, "w"), indent=1)
types = collections.Counter(r["Type"] for r in cfn["Resources"].values())
print(f"translated: {len(cfn['Resources'])} resources:", ", ".join(f"{n} {t}" for t, n in sorted(types.items())))
PY

echo "== 3. cfn-lint on the translated template" >&2
lint_rc=0
"$venv/cfn-lint" --format parseable "$work/translated.json" || lint_rc=$?
[[ $lint_rc -eq 0 ]] && echo "cfn-lint: clean"

echo "== 4. moto compatibility pass (Conditions, Fn::If, AWS::NoValue)" >&2
"$py" - "$work/translated.json" "$work/moto.json" "${params[@]}" <<'PY'
import json, sys
src, out, *args = sys.argv[1:]
t = json.load(open(src))
params = {k: v.get("Default") for k, v in t.get("Parameters", {}).items()}
params.update(dict(a.split("=", 1) for a in args))
NOVALUE = object()
cache = {}
def operand(x):
    if isinstance(x, dict) and set(x) == {"Ref"} and x["Ref"] in params:
        return str(params[x["Ref"]])
    if isinstance(x, dict) and set(x) == {"Condition"}:
        return cond(x["Condition"])
    if isinstance(x, dict):
        raise SystemExit(f"moto pass: cannot evaluate {x} in a Condition")
    return str(x)
def ev(c):
    if set(c) == {"Condition"}:
        return cond(c["Condition"])
    (fn, a), = c.items()
    if fn == "Fn::Equals": return operand(a[0]) == operand(a[1])
    if fn == "Fn::Not": return not ev(a[0])
    if fn == "Fn::And": return all(ev(x) for x in a)
    if fn == "Fn::Or": return any(ev(x) for x in a)
    raise SystemExit(f"moto pass: unsupported condition function {fn}")
def cond(name):
    if name not in cache:
        cache[name] = ev(t["Conditions"][name])
    return cache[name]
def walk(x):
    if isinstance(x, dict):
        if x == {"Ref": "AWS::NoValue"}: return NOVALUE
        if set(x) == {"Fn::If"}:
            c, yes, no = x["Fn::If"]
            return walk(yes if cond(c) else no)
        return {k: w for k, w in ((k, walk(v)) for k, v in x.items()) if w is not NOVALUE}
    if isinstance(x, list):
        return [w for w in map(walk, x) if w is not NOVALUE]
    return x
dropped = [k for k, r in t["Resources"].items() if "Condition" in r and not cond(r["Condition"])]
for k in dropped: del t["Resources"][k]
for k in [k for k, o in t.get("Outputs", {}).items() if "Condition" in o and not cond(o["Condition"])]:
    del t["Outputs"][k]
t["Resources"] = walk(t["Resources"]); t["Outputs"] = walk(t.get("Outputs", {}))
for r in list(t["Resources"].values()) + list(t["Outputs"].values()): r.pop("Condition", None)
json.dump(t, open(out, "w"), indent=1)
print("conditions:", {k: cond(k) for k in t.get("Conditions", {})}, "| resources left out (condition false):", dropped or "none")
PY

echo "== 5. CreateStack on moto" >&2
deploy_rc=0
"$py" - "$work/moto.json" "$stack_name" "${params[@]}" <<'PY' || deploy_rc=$?
import ast, json, sys, boto3, botocore
src, name, *args = sys.argv[1:]
cf = boto3.client("cloudformation")
tpl = json.load(open(src))
try:
    cf.create_stack(StackName=name, TemplateBody=json.dumps(tpl),
                    Parameters=[{"ParameterKey": k, "ParameterValue": v} for k, v in (a.split("=", 1) for a in args)],
                    Capabilities=["CAPABILITY_IAM", "CAPABILITY_AUTO_EXPAND"])
except botocore.exceptions.BotoCoreError as e:
    sys.exit(f"CreateStack failed (moto server error; see its log): {e}")
except botocore.exceptions.ClientError as e:
    sys.exit(f"CreateStack failed: {e}")
stack = cf.describe_stacks(StackName=name)["Stacks"][0]
print("stack status:", stack["StackStatus"], stack.get("StackStatusReason") or "")
res = cf.list_stack_resources(StackName=name)["StackResourceSummaries"]
made = {r["LogicalResourceId"]: r for r in res if r["LogicalResourceId"]}
print(f"materialised by moto ({len(made)}):")
for k, r in made.items():
    print(f"  {r['ResourceStatus']:16} {r['ResourceType']:34} {k}  {r['PhysicalResourceId']}")
ignored = [(k, r["Type"]) for k, r in tpl["Resources"].items() if k not in made]
print(f"ignored by moto, no CloudFormation support for the type ({len(ignored)}):")
for k, t in ignored:
    print(f"  {t:34} {k}")
print("outputs (refs to ignored resources come out empty or with a literal ${...}):")
outs = {o["OutputKey"]: o["OutputValue"] for o in stack.get("Outputs") or []}
for k in tpl.get("Outputs", {}):
    print(f"  {k} = {outs.get(k, '<missing>')}")
lam = boto3.client("lambda")
print("functions (moto ignores Architectures in CloudFormation; the template asks arm64):")
for k, r in made.items():
    if r["ResourceType"] == "AWS::Lambda::Function":
        f = lam.get_function(FunctionName=r["PhysicalResourceId"])
        c = f["Configuration"]
        print(f"  {k}: {c['Runtime']} {c['Handler']} {c['MemorySize']}MB {c['Timeout']}s code={c['CodeSize']}B"
              f" reserved={f.get('Concurrency', {}).get('ReservedConcurrentExecutions')} env={sorted(c.get('Environment', {}).get('Variables', {}))}")
for m in lam.list_event_source_mappings()["EventSourceMappings"]:
    print(f"  event source {m['EventSourceArn'].split(':')[-1]} -> {m['FunctionArn'].split(':')[-1]}"
          f" batch={m.get('BatchSize')} window={m.get('MaximumBatchingWindowInSeconds')} {m.get('FunctionResponseTypes')} {m.get('ScalingConfig')}")
sys.exit(0 if stack["StackStatus"] == "CREATE_COMPLETE" else 1)
PY

if [[ $deploy_rc -ne 0 ]]; then
  echo "deploy-to-moto: the moto deploy failed; moto log: $log" >&2
  grep -v '^127\.0\.0\.1 ' "$log" | tail -40 >&2 || true
  exit 1
fi
if [[ $lint_rc -ne 0 ]]; then
  echo "deploy-to-moto: moto deployed the stack, but cfn-lint found errors in the translated template (above)" >&2
  exit 3
fi
echo "deploy-to-moto: OK" >&2
