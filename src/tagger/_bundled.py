"""The sha256 of the bundled model's manifest.json, pinned in the package source.

The manifest holds the hash of every model file, so pinning it pins them all: replacing both a
model file and the manifest beside it is caught. ``tagger train`` into the source checkout's
models/default rewrites this file; nothing else should.
"""

MANIFEST_SHA256 = "fca7d075e370e1b87b3d2c812aab2c280cd29972a07b5dee179e51d2b37336a4"
