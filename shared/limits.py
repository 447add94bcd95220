"""The request size limits, each defined once; routes, parsers, OpenAPI and docs read them here."""

from __future__ import annotations

from typing import Final

MAX_BODY_BYTES: Final = 4096
"""Largest JSON body of "Add photos". A profilePhoto body is under 300 bytes; the largest valid
one (a 256-character id written entirely as ``\\uXXXX\\uXXXX`` surrogate-pair escapes) is about
3.2 KB. 4 KiB accepts every sensibly formatted valid body and bounds the work done on anything
else."""

MAX_IMAGE_BYTES: Final = 4 * 1024 * 1024
"""Largest image upload: Graph's own limit for a profile photo."""

MAX_OTHER_BODY_BYTES: Final = 4096
"""Largest body of a request whose operation takes none (GET, DELETE): refused unread beyond."""

MAX_BATCH_REQUESTS: Final = 20
"""Most requests in one ``$batch``: Graph's own limit."""

MAX_BATCH_BODY_BYTES: Final = 24 * 1024 * 1024
"""Largest ``$batch`` body. Graph's is 4 MB, but here a batch may carry photo uploads (base64,
4/3 of their size): 24 MiB holds four photos of the largest size, ``MAX_IMAGE_BYTES``, with room
for the rest of the batch. A declared ``Content-Length`` over it is refused unread."""
