#!/usr/bin/env bash
# Packs src/Contracts (after a Release build) and checks the package a .NET caller gets: named after the version in
# Avatar.Contracts.csproj, an assembly and its XML documentation for each target framework, and the readme.
set -euo pipefail
cd "$(dirname "$0")/.."
out=.artifacts/packages
rm -rf "$out"
dotnet pack src/Contracts -c Release --no-build -nologo -v quiet -o "$out"
version=$(sed -n 's:.*<Version>\(.*\)</Version>.*:\1:p' src/Contracts/Avatar.Contracts.csproj)
package="$out/Avatar.Contracts.$version.nupkg"
[ -f "$package" ] || { echo "no $package; found: $(ls "$out")"; exit 1; }
# A .nupkg is a zip; python3 reads it wherever unzip is missing.
entries() { python3 -c 'import sys, zipfile; print("\n".join(zipfile.ZipFile(sys.argv[1]).namelist()))' "$1"; }
read_entry() { python3 -c 'import sys, zipfile; sys.stdout.write(zipfile.ZipFile(sys.argv[1]).read(sys.argv[2]).decode())' "$1" "$2"; }
contents=$(entries "$package")
for file in lib/net8.0/Avatar.Contracts.dll lib/net8.0/Avatar.Contracts.xml lib/net10.0/Avatar.Contracts.dll lib/net10.0/Avatar.Contracts.xml README.md; do
  grep -qxF "$file" <<<"$contents" || { echo "$package lacks $file"; exit 1; }
done
# Every public type is documented (the compiler refuses a missing comment; this checks the comments reach the package).
for type in CreateAvatarSession AvatarAuthCompleted SubmitAvatarAssets AvatarSessionCreated AvatarSessionFailed \
  AvatarAuthVerified AvatarAuthFailed AvatarAssetsApproved AvatarAssetsRejected AvatarCommandRefused AvatarAssetSource ReviewedAvatarAsset \
  AvatarAssetType AvatarErrorCodes GetAvatarStatus AvatarStatus AvatarStatusNotFound AvatarFlowKinds; do
  read_entry "$package" lib/net10.0/Avatar.Contracts.xml | grep -q "name=\"T:Avatar.Contracts.$type\"" || { echo "no documentation for $type"; exit 1; }
done
echo "$package: $(wc -c <"$package") bytes, net8.0 and net10.0 with XML documentation"
