"""The sha256 of the bundled model's manifest.json, pinned in the package source.

The manifest holds the hash of every model file, so pinning it pins them all: replacing both a
model file and the manifest beside it is caught. ``tagger train`` into the source checkout's
models/default rewrites this file; nothing else should.
"""

MANIFEST_SHA256 = "3fe3566469ac18c44dbcdb3de97248c2727913923c538a7188af5a46e6b153ad"
