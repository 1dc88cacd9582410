#!/usr/bin/env bash
# Makes the simulator's media, small enough to commit: its result video (a real H.264 MP4, 1280x720 at 30 fps,
# 5 s, the shape of a VACE output) and sample inputs for offline jobs (a 2 s 640x360 MP4 clip and a PNG).
# Run it again only to change the fixtures; it needs ffmpeg (apt-get install ffmpeg).
# Usage: scripts/make-sample-media.sh [FOLDER]   (default tools/DashScopeSimulator/Assets)
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
dir="${1:-$root/tools/DashScopeSimulator/Assets}"
command -v ffmpeg >/dev/null || { echo "make-sample-media: ffmpeg is needed (apt-get install ffmpeg)" >&2; exit 1; }
ffmpeg -loglevel error -y \
  -f lavfi -i "testsrc2=size=1280x720:rate=30:duration=5" \
  -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -movflags +faststart -an \
  -metadata title="VaceFunctions DashScope simulator output" \
  "$dir/sample-output.mp4"
ffmpeg -loglevel error -y \
  -f lavfi -i "testsrc2=size=640x360:rate=30:duration=2" \
  -c:v libx264 -preset veryslow -crf 40 -pix_fmt yuv420p -movflags +faststart -an \
  "$dir/sample-input.mp4"
ffmpeg -loglevel error -y -f lavfi -i "testsrc2=size=640x360" -frames:v 1 "$dir/sample-image.png"
ls -l "$dir"
