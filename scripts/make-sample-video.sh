#!/usr/bin/env bash
# Makes the simulator's result video: a real H.264 MP4, 1280x720 at 30 fps, 5 s (the shape of a VACE output),
# small enough to commit. Run it again only to change the fixture; it needs ffmpeg (apt-get install ffmpeg).
# Usage: scripts/make-sample-video.sh [OUTPUT]   (default tools/DashScopeSimulator/Assets/sample-output.mp4)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$root/tools/DashScopeSimulator/Assets/sample-output.mp4}"
command -v ffmpeg >/dev/null || { echo "make-sample-video: ffmpeg is needed (apt-get install ffmpeg)" >&2; exit 1; }
ffmpeg -loglevel error -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=5" \
  -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -movflags +faststart -an \
  -metadata title="VaceFunctions DashScope simulator output" \
  "$out"
ls -l "$out"
