#!/usr/bin/env bash
# Makes `dotnet restore` work on this machine and changes nothing where the registry is complete.
#
# Azure.Storage.Common depends on System.IO.Hashing, which some NuGet mirrors do not serve. The .NET SDK
# ships Microsoft's own build of that assembly; when (and only when) the configured sources cannot supply
# the pinned version, this packs the SDK's copy into a git-ignored folder feed (.nuget-local/) and writes a
# git-ignored nuget.config that adds that feed beside the usual sources.
#
# Usage: scripts/bootstrap.sh            (idempotent; quiet when there is nothing to do)
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
feed="$root/.nuget-local"
config="$root/nuget.config"
package="System.IO.Hashing"
version="$(sed -n 's/.*PackageVersion Include="System.IO.Hashing" Version="\([^"]*\)".*/\1/p' "$root/Directory.Packages.props")"
[ -n "$version" ] || { echo "bootstrap: no $package version in Directory.Packages.props" >&2; exit 1; }

log() { echo "bootstrap: $*" >&2; }

# Already supplied by an earlier run of this script on this clone.
if [ -f "$feed/${package,,}.$version.nupkg" ] && [ -f "$config" ]; then
  exit 0
fi

# Already in the global packages folder (restored earlier from any source): restore will not ask a source.
global="$(dotnet nuget locals global-packages --list | sed -n 's/^global-packages: //p')"
if [ -f "$global/${package,,}/$version/${package,,}.$version.nupkg" ]; then
  exit 0
fi

# Ask the configured sources with a throwaway project outside the repository.
probe="$(mktemp -d)"
trap 'rm -rf "$probe"' EXIT
cat > "$probe/probe.csproj" <<XML
<Project Sdk="Microsoft.NET.Sdk">
  <PropertyGroup><TargetFramework>net10.0</TargetFramework></PropertyGroup>
  <ItemGroup><PackageReference Include="$package" Version="[$version]" /></ItemGroup>
</Project>
XML
if dotnet restore "$probe/probe.csproj" >"$probe/restore.log" 2>&1; then
  exit 0
fi
if ! grep -q "NU1101\|NU1102" "$probe/restore.log"; then
  log "probe restore of $package $version failed for another reason:"
  cat "$probe/restore.log" >&2
  exit 1
fi

log "the NuGet sources lack $package $version; packing the copy shipped with the .NET SDK"
sdk_dir="$(dotnet --list-sdks | sed -n 's/^\([^ ]*\) \[\(.*\)\]$/\2\/\1/p' | tail -n 1)"
dll="$(ls "$sdk_dir"/Sdks/Microsoft.NET.Sdk/tools/net[0-9]*/"$package.dll" 2>/dev/null | sort -V | tail -n 1)"
[ -n "$dll" ] && [ -f "$dll" ] || { log "no $package.dll in the .NET SDK at $sdk_dir"; exit 1; }

stage="$probe/pkg"
mkdir -p "$stage/lib/net10.0" "$feed"
cp "$dll" "$stage/lib/net10.0/"
cat > "$stage/$package.nuspec" <<XML
<?xml version="1.0" encoding="utf-8"?>
<package xmlns="http://schemas.microsoft.com/packaging/2013/05/nuspec.xsd">
  <metadata>
    <id>$package</id>
    <version>$version</version>
    <authors>Microsoft</authors>
    <description>$package.dll as shipped inside the .NET SDK, repackaged locally by scripts/bootstrap.sh.</description>
    <license type="expression">MIT</license>
  </metadata>
</package>
XML
(cd "$stage" && zip -q -X -r "$feed/${package,,}.$version.nupkg" "$package.nuspec" lib)

cat > "$config" <<XML
<?xml version="1.0" encoding="utf-8"?>
<!-- Written by scripts/bootstrap.sh because the NuGet sources lack $package $version. Not committed. -->
<configuration>
  <packageSources>
    <add key="vace-local" value=".nuget-local" />
  </packageSources>
</configuration>
XML
log "wrote $feed and $config"
