#!/usr/bin/env bash
# Builds and lints infra/ with the Bicep CLI, offline, and fails on any error or warning (infra/bicepconfig.json
# makes the linter's warnings errors; compiler warnings such as unknown properties fail here too).
# The CLI comes from the NuGet package Azure.Bicep.CommandLine.<rid> (its tools/bicep), restored into the global
# packages folder by a throwaway project, so a fresh machine needs only the .NET SDK.
# Usage: scripts/bicep.sh              build and lint
#        scripts/bicep.sh --cli-path   print the CLI's path (restoring it first), for tests over the compiled template
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

version="0.49.2"
case "$(uname -m)" in
  aarch64 | arm64) rid="linux-arm64" ;;
  *) rid="linux-x64" ;;
esac
package="Azure.Bicep.CommandLine.$rid"
export DOTNET_NOLOGO=1 DOTNET_CLI_TELEMETRY_OPTOUT=1

packages="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: *//p')"
bicep="${packages%/}/$(echo "$package" | tr '[:upper:]' '[:lower:]')/$version/tools/bicep"
if [ ! -f "$bicep" ]; then
  # Outside the repository, so its Directory.*.props (central package management) do not apply.
  work="$(mktemp -d)"
  trap 'rm -rf "$work"' EXIT
  cat > "$work/bicep-cli.proj" <<PROJ
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup>
    <TargetFramework>net10.0</TargetFramework>
  </PropertyGroup>
  <ItemGroup>
    <PackageDownload Include="$package" Version="[$version]" />
  </ItemGroup>
</Project>
PROJ
  if ! dotnet restore "$work/bicep-cli.proj" > "$work/restore.log" 2>&1; then
    cat "$work/restore.log" >&2
    echo "bicep: could not restore $package $version" >&2
    exit 1
  fi
  [ -f "$bicep" ] || { echo "bicep: $bicep not found after restore" >&2; exit 1; }
fi
[ -x "$bicep" ] || chmod +x "$bicep"
if [ "${1:-}" = "--cli-path" ]; then
  echo "$bicep"
  exit 0
fi

files=(infra/main.bicep infra/app/*.bicep)
failed=0 diagnostics=0
# Runs the CLI and keeps its diagnostics (stderr); a failing exit code or any error or warning counts.
run() {
  local out status=0
  out="$("$bicep" "$@" 2>&1 > /dev/null)" || status=$?
  local count
  count="$(grep -cE ': (Error|Warning) ' <<< "$out" || true)"
  diagnostics=$((diagnostics + count))
  if [ "$status" -ne 0 ] || [ "$count" -ne 0 ]; then
    echo "$out" >&2
    failed=$((failed + 1))
  fi
}

# `build` compiles main.bicep with every module; `lint` reports each file's own diagnostics.
run build infra/main.bicep --stdout
for file in "${files[@]}"; do
  run lint "$file"
done

echo "bicep: ${#files[@]} files built and linted with Bicep CLI $version, $diagnostics errors or warnings"
[ "$failed" -eq 0 ]
