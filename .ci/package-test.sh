#!/usr/bin/env bash
# Packs every package, installs CharRnn.Inference + CharRnn.Models.TinyShakespeare into a fresh console app from a
# local folder feed (plus nuget.org for their dependencies), generates text through the public API, and checks it
# against the packed `charrnn` tool. Needs the NuGet feed; no GPU.
set -euo pipefail
cd "$(dirname "$0")/.."
repo=$(pwd)
work=$(mktemp -d "${TMPDIR:-/tmp}/charrnn-package-test.XXXXXX")
# A version no earlier run used: the global packages folder caches by id+version and would serve a stale package.
version="0.1.0-ci.$(date +%Y%m%d%H%M%S).$$"
packages_cache=${NUGET_PACKAGES:-$HOME/.nuget/packages}
cleanup() {
  rm -rf "$work"
  for id in charrnn.inference charrnn.models.tinyshakespeare charrnn; do rm -rf "$packages_cache/$id/$version"; done
}
trap cleanup EXIT
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

echo "package-test: packing $version"
dotnet pack "$repo/CharRnn.Inference.sln" -c Release -o "$work/feed" -p:Version="$version" -v q -nologo

expected=(CharRnn.Inference CharRnn.Models.TinyShakespeare CharRnn.Bindings.TensorRT CharRnn.Inference.TensorRT
          CharRnn.Bindings.Cuda CharRnn.Inference.Cuda CharRnn.Inference.Hosting CharRnn.Inference.AI charrnn)
for id in "${expected[@]}"; do
  for ext in nupkg snupkg; do
    [[ -f "$work/feed/$id.$version.$ext" ]] || { echo "package-test: missing $id.$version.$ext" >&2; exit 1; }
  done
  unzip -l "$work/feed/$id.$version.nupkg" README.md >/dev/null || { echo "package-test: $id has no README.md" >&2; exit 1; }
done

app="$work/app"
mkdir -p "$app"
cat > "$app/nuget.config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<configuration>
  <packageSources>
    <clear />
    <add key="local" value="$work/feed" />
    <add key="nuget.org" value="https://api.nuget.org/v3/index.json" />
  </packageSources>
</configuration>
XML
(cd "$app" && dotnet new console --framework net10.0 --name PackageTest --output . >/dev/null)
(cd "$app" && dotnet add package CharRnn.Inference --version "$version" >/dev/null \
  && dotnet add package CharRnn.Models.TinyShakespeare --version "$version" >/dev/null)
cat > "$app/Program.cs" <<'CS'
using System.Text;
using CharRnn.Inference.DefaultModel;
using CharRnn.Inference.Engine;
using CharRnn.Inference.Generation;
using CharRnn.Inference.Sampling;

string prime = args[0];
int length = int.Parse(args[1], System.Globalization.CultureInfo.InvariantCulture);
using var engine = InferenceEngine.Create(TinyShakespeareModel.Instance, new EngineOptions { Backend = Backend.Cpu });
using var generator = engine.CreateGenerator(new GeneratorOptions { Sampling = SamplingOptions.Greedy });
generator.Prime(prime);
var text = new StringBuilder(prime);
await foreach (string chunk in generator.GenerateAsync(length))
{
    text.Append(chunk);
}
Console.Out.Write(text.ToString());
CS
prime="ROMEO:"
length=150
output=$(cd "$app" && dotnet run -c Release -- "$prime" "$length")
[[ "$output" == "$prime"* ]] || { echo "package-test: output does not start with the prime: ${output:0:40}" >&2; exit 1; }
(( ${#output} == ${#prime} + length )) || { echo "package-test: ${#output} characters, expected $(( ${#prime} + length ))" >&2; exit 1; }

# The dotnet tool from the same feed, greedy, must print the same text.
dotnet tool install charrnn --version "$version" --tool-path "$work/tools" --add-source "$work/feed" >/dev/null
tool_output=$("$work/tools/charrnn" generate --greedy --prime "$prime" --length "$length")
[[ "$tool_output" == "$output" ]] || { echo "package-test: the charrnn tool and the library disagree" >&2; exit 1; }
echo "package-test: ok (${#output} characters: ${output:0:40}...)"
