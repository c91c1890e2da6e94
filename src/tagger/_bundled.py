"""The sha256 of the bundled model's manifest.json, pinned in the package source.

The manifest holds the hash of every model file, so pinning it pins them all: replacing both a
model file and the manifest beside it is caught. ``tagger train`` into the source checkout's
models/default rewrites this file; nothing else should.
"""

MANIFEST_SHA256 = "42963b3a42212c92b389cfb7108894a0f983948e53543024378a4f60a092d121"
