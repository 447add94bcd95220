"""The photo itself: formats, limits and bombs, metadata, orientation, modes, sizes, ETags.

Every image is made here by code (real files of each format, or crafted headers for bombs).
"""

from __future__ import annotations

import io
import random
import re
import struct
import tracemalloc
import zlib
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from PIL import ExifTags, Image, ImageCms, ImageDraw, ImageFile, ImageOps

from shared.media import (
    MAX_IMAGE_BYTES,
    MAX_SIDE,
    SIZES,
    DimensionsMismatch,
    ImageFacts,
    ImageRejected,
    Rejection,
    decode,
    etag_of,
    is_size_id,
    open_image,
    render_exact,
    render_sizes,
    size_id,
    sizes_for,
)
from tests.image_metadata import COMMENT, SECRETS, XMP, exif_with_gps

RED = (255, 0, 0)
GREEN = (0, 255, 0)
BLUE = (0, 0, 255)
WHITE = (255, 255, 255)


def encode(image: Image.Image, image_format: str, **params: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, image_format, **params)
    return buffer.getvalue()


def quadrants(width: int, height: int) -> Image.Image:
    """Top-left red, top-right green, bottom-left blue, bottom-right white."""
    image = Image.new("RGB", (width, height), WHITE)
    draw = ImageDraw.Draw(image)
    half_x, half_y = width // 2, height // 2
    draw.rectangle((0, 0, half_x - 1, half_y - 1), fill=RED)
    draw.rectangle((half_x, 0, width - 1, half_y - 1), fill=GREEN)
    draw.rectangle((0, half_y, half_x - 1, height - 1), fill=BLUE)
    return image


def with_orientation(image: Image.Image, orientation: int) -> bytes:
    exif = Image.Exif()
    exif[0x0112] = orientation
    return encode(image, "JPEG", quality=95, exif=exif.tobytes())


def _chunk(kind: bytes, body: bytes) -> bytes:
    return struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body))


def png_declaring(width: int, height: int) -> bytes:
    """A few hundred bytes: an 8-bit grey PNG header claiming ``width`` x ``height``."""
    header = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def zero_png(side: int) -> bytes:
    """A genuine, valid 1-bit black PNG of ``side`` x ``side``: a classic decompression bomb."""
    header = struct.pack(">IIBBBBB", side, side, 1, 0, 0, 0, 0)
    compressor = zlib.compressobj(9)
    row = bytes(1 + (side + 7) // 8)  # filter byte "none" + the packed row
    pixels = b"".join(compressor.compress(row) for _ in range(side)) + compressor.flush()
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"IDAT", pixels)
        + _chunk(b"IEND", b"")
    )


def webp_declaring(width: int, height: int) -> bytes:
    """An extended-format WebP header claiming a ``width`` x ``height`` canvas, then nothing."""
    body = (
        b"\x00\x00\x00\x00" + (width - 1).to_bytes(3, "little") + (height - 1).to_bytes(3, "little")
    )
    chunk = b"VP8X" + struct.pack("<I", len(body)) + body
    return b"RIFF" + struct.pack("<I", 4 + len(chunk)) + b"WEBP" + chunk


def jpeg_declaring(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header (SOF0) is rewritten to claim ``width`` x ``height``."""
    data = bytearray(encode(Image.new("RGB", (16, 16), RED), "JPEG"))
    sof = data.index(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


def animated_gif(*colours: tuple[int, int, int]) -> bytes:
    frames = [Image.new("RGB", (64, 64), colour) for colour in colours]
    return encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)


# --- what is accepted ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("image_format", "mode"),
    [("JPEG", "RGB"), ("PNG", "RGBA"), ("GIF", "P"), ("WEBP", "RGB"), ("BMP", "RGB")],
)
def test_each_accepted_format_renders(image_format: str, mode: str) -> None:
    data = encode(Image.new(mode, (300, 200)), image_format)

    rendered = render_sizes(data)

    assert open_image(data).facts == ImageFacts(image_format, 300, 200)
    assert [size for size, _ in rendered] == [48, 64, 96, 120]
    assert [Image.open(io.BytesIO(jpeg)).size for _, jpeg in rendered] == [
        (48, 48),
        (64, 64),
        (96, 96),
        (120, 120),
    ]
    assert {Image.open(io.BytesIO(jpeg)).format for _, jpeg in rendered} == {"JPEG"}


def test_a_phone_jpeg_with_a_picture_index_counts_as_jpeg() -> None:
    frames = [Image.new("RGB", (64, 64), RED), Image.new("RGB", (32, 32), BLUE)]
    data = encode(frames[0], "MPO", save_all=True, append_images=frames[1:])

    assert open_image(data).facts.format == "JPEG"
    assert _colour(render_sizes(data)[0].jpeg, (24, 24)) == pytest.approx(RED, abs=8)


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"hello, this is text",
        b'{"@odata.type": "#microsoft.graph.profilePhoto"}',
        b"\x00" * 64,
    ],
    ids=["empty", "text", "json", "zeros"],
)
def test_not_an_image(body: bytes) -> None:
    with pytest.raises(ImageRejected) as refused:
        render_sizes(body)
    assert refused.value.kind is Rejection.NOT_AN_IMAGE


@pytest.mark.parametrize(
    ("body", "named"),
    [
        (b'<?xml version="1.0"?>\n<svg xmlns="http://www.w3.org/2000/svg"/>', "SVG"),
        (b"\xef\xbb\xbf  <svg width='10' height='10'></svg>", "SVG"),
        (encode(Image.new("RGB", (20, 20)), "TIFF"), "TIFF"),
        (encode(Image.new("RGB", (32, 32)), "ICO"), "ICO"),
        (encode(Image.new("RGB", (20, 20)), "PPM"), "PPM"),
    ],
    ids=["svg", "svg-bom", "tiff", "ico", "ppm"],
)
def test_other_image_formats_are_unsupported(body: bytes, named: str) -> None:
    with pytest.raises(ImageRejected) as refused:
        render_sizes(body)
    assert refused.value.kind is Rejection.UNSUPPORTED_FORMAT
    assert named in str(refused.value)


def test_xml_that_is_not_svg_is_not_an_image() -> None:
    with pytest.raises(ImageRejected) as refused:
        render_sizes(b'<?xml version="1.0"?><feed/>')
    assert refused.value.kind is Rejection.NOT_AN_IMAGE


# --- limits, bombs, damage -----------------------------------------------------------------


def test_at_most_max_image_bytes() -> None:
    small = encode(Image.new("RGB", (60, 60), RED), "PNG")
    at_limit = small + bytes(MAX_IMAGE_BYTES - len(small))  # Pillow ignores bytes after IEND

    assert [size for size, _ in render_sizes(at_limit)] == [48]
    with pytest.raises(ImageRejected) as refused:
        render_sizes(at_limit + b"\x00")
    assert refused.value.kind is Rejection.TOO_LARGE


@pytest.mark.parametrize("size", [(10_001, 1), (1, 10_001)])
def test_a_side_over_max_side_is_refused(size: tuple[int, int]) -> None:
    data = encode(Image.new("L", size), "PNG")

    with pytest.raises(ImageRejected) as refused:
        render_sizes(data)
    assert refused.value.kind is Rejection.TOO_MANY_PIXELS
    assert "10001x1" in str(refused.value) or "1x10001" in str(refused.value)


def test_max_side_itself_is_accepted() -> None:
    data = encode(Image.new("L", (MAX_SIDE, 2)), "PNG")

    assert [size for size, _ in render_sizes(data)] == [2]


@pytest.mark.parametrize(
    "data",
    [
        png_declaring(100_000, 100_000),  # past Pillow's own bomb guard
        png_declaring(8_000, 8_000),  # 64 MP: under Pillow's guard, over ours
        zero_png(20_000),  # a real, valid 400 MP image in about 50 KB
        jpeg_declaring(60_000, 60_000),
        jpeg_declaring(7_500, 7_500),
        webp_declaring(9_000, 9_000),  # libwebp would allocate its canvas on open
        webp_declaring(16_384, 16_384),
    ],
    ids=["png-100k", "png-64mp", "png-zero-20k", "jpeg-60k", "jpeg-56mp", "webp-81mp", "webp-16k"],
)
def test_decompression_bombs_are_refused_before_any_pixels(data: bytes) -> None:
    images_before = _pillow_images_made()
    tracemalloc.start()
    try:
        with pytest.raises(ImageRejected) as refused:
            render_sizes(data)
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()

    assert refused.value.kind is Rejection.TOO_MANY_PIXELS
    assert _pillow_images_made() == images_before  # no pixel buffer made at all
    assert peak < 50 * 1024 * 1024


def test_under_max_pixels_is_accepted() -> None:
    data = encode(Image.new("1", (7_000, 7_000)), "PNG")  # 49 MP, 1 bit deep

    assert render_sizes(data)[-1].size == 648


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "GIF", "WEBP", "BMP"])
def test_truncated_files_are_refused(image_format: str) -> None:
    data = encode(Image.effect_noise((200, 200), 80).convert("RGB"), image_format)

    with pytest.raises(ImageRejected) as refused:
        render_sizes(data[: len(data) // 2])
    assert refused.value.kind is Rejection.CORRUPT


def test_a_png_with_a_damaged_chunk_is_refused() -> None:
    data = bytearray(encode(Image.effect_noise((200, 200), 80), "PNG"))
    data[len(data) // 2] ^= 0xFF  # inside IDAT: its CRC no longer matches

    with pytest.raises(ImageRejected) as refused:
        render_sizes(bytes(data))
    assert refused.value.kind is Rejection.CORRUPT


def test_only_a_signature_is_refused_as_corrupt() -> None:
    with pytest.raises(ImageRejected) as refused:
        render_sizes(b"\x89PNG\r\n\x1a\n")
    assert refused.value.kind is Rejection.CORRUPT


def test_decoding_refuses_to_run_when_pillow_would_accept_truncated_files(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(ImageFile, "LOAD_TRUNCATED_IMAGES", True)

    with pytest.raises(RuntimeError, match="LOAD_TRUNCATED_IMAGES"):
        render_sizes(encode(Image.new("RGB", (50, 50)), "PNG"))


# --- metadata ------------------------------------------------------------------------------


def _jpeg_full_of_metadata(*, with_profile: bool = True) -> bytes:
    exif = exif_with_gps()
    exif[ExifTags.Base.Orientation] = 1
    srgb = ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes()
    return encode(
        quadrants(400, 300),
        "JPEG",
        exif=exif.tobytes(),
        comment=COMMENT,
        xmp=XMP,
        icc_profile=srgb if with_profile else None,
    )


@pytest.mark.parametrize("with_profile", [True, False])
def test_no_metadata_of_the_upload_survives_in_any_size(with_profile: bool) -> None:
    data = _jpeg_full_of_metadata(with_profile=with_profile)
    markers: tuple[bytes, ...] = (b"\xff\xe1", b"\xff\xfe")  # APP1 (EXIF, XMP), COM
    secrets: tuple[bytes, ...] = SECRETS
    if with_profile:
        markers += (b"\xff\xe2",)  # APP2 (ICC)
        secrets += (b"ICC_PROFILE",)
    assert all(marker in data for marker in markers)
    assert all(secret in data for secret in secrets)

    outputs = [jpeg for _, jpeg in render_sizes(data)] + [render_exact(data, 400, 300)]

    for jpeg in outputs:
        # 0xFF in entropy-coded data is always followed by 0x00, so these are markers only
        assert not [marker for marker in markers if marker in jpeg]
        assert not [secret for secret in secrets if secret in jpeg]
        stored = Image.open(io.BytesIO(jpeg))
        assert dict(stored.getexif()) == {}
        assert not {"exif", "comment", "xmp", "icc_profile"} & set(stored.info)


def test_decode_hands_back_pixels_without_metadata() -> None:
    decoded = decode(_jpeg_full_of_metadata())

    assert decoded.image.mode == "RGB"
    assert decoded.image.info == {}


# --- orientation ---------------------------------------------------------------------------

# The stored 200 x 100 image's centre square, turned upright: colours of its quadrants,
# top-left, top-right, bottom-left, bottom-right.
_UPRIGHT_QUADRANTS = {
    1: (RED, GREEN, BLUE, WHITE),
    3: (WHITE, BLUE, GREEN, RED),
    6: (BLUE, RED, WHITE, GREEN),
    8: (GREEN, WHITE, RED, BLUE),
}


@pytest.mark.parametrize("orientation", sorted(_UPRIGHT_QUADRANTS))
def test_exif_orientation_is_applied(orientation: int) -> None:
    data = with_orientation(quadrants(200, 100), orientation)
    upright_size = (100, 200) if orientation in (6, 8) else (200, 100)

    facts = open_image(data).facts
    rendered = render_sizes(data)

    assert (facts.width, facts.height) == upright_size
    assert decode(data).image.size == upright_size
    assert [size for size, _ in rendered] == [48, 64, 96]
    largest = rendered[-1].jpeg
    corners = [_colour(largest, point) for point in ((20, 20), (76, 20), (20, 76), (76, 76))]
    for seen, expected in zip(corners, _UPRIGHT_QUADRANTS[orientation], strict=True):
        assert seen == pytest.approx(expected, abs=40)


@pytest.mark.parametrize("orientation", range(1, 9))
def test_decode_turns_images_as_pillow_exif_transpose_does(orientation: int) -> None:
    data = with_orientation(quadrants(60, 30), orientation)

    expected = ImageOps.exif_transpose(Image.open(io.BytesIO(data))).convert("RGB")

    assert decode(data).image.tobytes() == expected.tobytes()


@pytest.mark.filterwarnings("ignore:Corrupt EXIF data")
def test_unreadable_exif_leaves_the_pixels_as_stored() -> None:
    data = encode(quadrants(200, 100), "JPEG", exif=b"Exif\x00\x00II*\x00\xff\xff\xff\xff")

    facts = open_image(data).facts

    assert (facts.width, facts.height) == (200, 100)
    assert _colour(render_sizes(data)[-1].jpeg, (20, 20)) == pytest.approx(RED, abs=40)


# --- modes ---------------------------------------------------------------------------------


def test_transparency_is_composited_on_white() -> None:
    clear = Image.new("RGBA", (100, 100), (255, 0, 0, 0))
    half = Image.new("RGBA", (100, 100), (0, 0, 0, 128))
    palette = Image.new("P", (100, 100), 0)
    palette.info["transparency"] = 0

    assert _colour(render_sizes(encode(clear, "PNG"))[0].jpeg, (24, 24)) == pytest.approx(
        WHITE, abs=3
    )
    assert _colour(render_sizes(encode(half, "WEBP", lossless=True))[0].jpeg, (24, 24)) == (
        pytest.approx((127, 127, 127), abs=4)
    )
    assert _colour(render_sizes(encode(palette, "PNG"))[0].jpeg, (24, 24)) == pytest.approx(
        WHITE, abs=3
    )
    assert _colour(render_sizes(encode(palette, "GIF"))[0].jpeg, (24, 24)) == pytest.approx(
        WHITE, abs=3
    )


def test_grey_and_bilevel_images_become_rgb() -> None:
    grey = Image.new("LA", (100, 100), (60, 255))
    bilevel = Image.new("1", (100, 100), 1)

    assert _colour(render_sizes(encode(grey, "PNG"))[0].jpeg, (24, 24)) == pytest.approx(
        (60, 60, 60), abs=3
    )
    assert _colour(render_sizes(encode(bilevel, "BMP"))[0].jpeg, (24, 24)) == pytest.approx(
        WHITE, abs=3
    )


def test_sixteen_bit_grey_keeps_its_top_eight_bits() -> None:
    data = encode(Image.new("I;16", (100, 100), 40_000), "PNG")

    assert Image.open(io.BytesIO(data)).mode == "I;16"
    assert _colour(render_sizes(data)[0].jpeg, (24, 24)) == pytest.approx((156, 156, 156), abs=3)


def test_cmyk_jpeg_becomes_rgb() -> None:
    data = encode(Image.new("CMYK", (100, 100), (0, 255, 255, 0)), "JPEG", quality=95)

    assert _colour(render_sizes(data)[0].jpeg, (24, 24)) == pytest.approx(RED, abs=12)
    assert decode(data).image.mode == "RGB"


def test_an_unusable_icc_profile_is_ignored() -> None:
    data = encode(Image.new("RGB", (100, 100), RED), "JPEG", icc_profile=b"not a profile" * 20)

    assert _colour(render_sizes(data)[0].jpeg, (24, 24)) == pytest.approx(RED, abs=8)


def _srgb_with_red_and_blue_swapped() -> bytes:
    """A valid RGB ICC profile: sRGB's, with the red and blue primaries' tags exchanged."""
    profile = bytearray(ImageCms.ImageCmsProfile(ImageCms.createProfile("sRGB")).tobytes())
    (count,) = struct.unpack(">I", profile[128:132])
    table = {bytes(profile[at : at + 4]): at for at in range(132, 132 + 12 * count, 12)}
    red, blue = table[b"rXYZ"] + 4, table[b"bXYZ"] + 4
    profile[red : red + 8], profile[blue : blue + 8] = (
        profile[blue : blue + 8],
        profile[red : red + 8],
    )
    return bytes(profile)


@pytest.mark.parametrize("image_format", ["JPEG", "PNG", "WEBP"])
def test_an_embedded_profile_is_converted_to_srgb(image_format: str) -> None:
    image = Image.new("RGB", (100, 100), (200, 50, 50))
    data = encode(image, image_format, quality=95, icc_profile=_srgb_with_red_and_blue_swapped())

    assert _colour(render_sizes(data)[0].jpeg, (24, 24)) == pytest.approx((50, 50, 200), abs=8)
    assert decode(data).image.getpixel((50, 50)) == pytest.approx((50, 50, 200), abs=8)


def test_a_gif_gives_its_first_frame() -> None:
    data = animated_gif(RED, BLUE, GREEN)

    assert _colour(render_sizes(data)[0].jpeg, (24, 24)) == pytest.approx(RED, abs=8)


# --- sizes ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("width", "height", "sizes"),
    [
        (300, 300, (48, 64, 96, 120, 240)),
        (300, 1000, (48, 64, 96, 120, 240)),
        (648, 648, SIZES),
        (4000, 3000, SIZES),
        (647, 700, (48, 64, 96, 120, 240, 360, 432, 504)),
        (48, 48, (48,)),
        (47, 200, (47,)),
        (30, 100, (30,)),
        (100, 30, (30,)),
        (1, 1, (1,)),
    ],
)
def test_sizes_for(width: int, height: int, sizes: tuple[int, ...]) -> None:
    assert sizes_for(width, height) == sizes


def test_sizes_for_refuses_an_empty_image() -> None:
    with pytest.raises(ValueError, match="0x5"):
        sizes_for(0, 5)


def test_a_narrow_image_gets_one_square_of_its_shorter_side() -> None:
    rendered = render_sizes(encode(Image.new("RGB", (30, 100), GREEN), "PNG"))

    assert [(item.size, item.id) for item in rendered] == [(30, "30x30")]
    assert Image.open(io.BytesIO(rendered[0].jpeg)).size == (30, 30)


@pytest.mark.parametrize(
    ("photo_id", "reserved"),
    [
        ("48x48", True),
        ("648x648", True),
        ("30x30", True),
        ("7x7", True),
        ("100000x100000", True),
        ("48x64", False),
        ("48X48", False),
        ("48x48 ", False),
        ("x48", False),
        ("x", False),
        ("\uff14\uff18x\uff14\uff18", False),  # full-width digits
        ("my-photo", False),
    ],
)
def test_is_size_id(photo_id: str, reserved: bool) -> None:
    assert is_size_id(photo_id) is reserved


def test_size_ids() -> None:
    assert [size_id(size) for size in SIZES[:2]] == ["48x48", "64x64"]


@pytest.mark.parametrize("size", [(200, 100), (100, 200)])
def test_the_centre_square_is_cropped(size: tuple[int, int]) -> None:
    # a quarter of the long side in red at each end, green between: the centre is all green
    image = Image.new("RGB", size, GREEN)
    long_side = max(size)
    quarter = long_side // 4
    draw = ImageDraw.Draw(image)
    if size[0] > size[1]:
        draw.rectangle((0, 0, quarter - 1, size[1]), fill=RED)
        draw.rectangle((long_side - quarter, 0, long_side, size[1]), fill=RED)
    else:
        draw.rectangle((0, 0, size[0], quarter - 1), fill=RED)
        draw.rectangle((0, long_side - quarter, size[0], long_side), fill=RED)

    largest = render_sizes(encode(image, "PNG"))[-1].jpeg

    for point in ((2, 2), (93, 2), (2, 93), (93, 93), (48, 48)):
        assert _colour(largest, point) == pytest.approx(GREEN, abs=12)


def test_a_large_jpeg_renders_every_size_sharply() -> None:
    # decoded at reduced scale: the result must still be the centre square, not blurred away
    data = encode(quadrants(4000, 3000), "JPEG", quality=95)

    rendered = render_sizes(data)

    assert [size for size, _ in rendered] == list(SIZES)
    largest = rendered[-1].jpeg
    assert Image.open(io.BytesIO(largest)).size == (648, 648)
    assert _colour(largest, (100, 100)) == pytest.approx(RED, abs=12)
    assert _colour(largest, (548, 548)) == pytest.approx(WHITE, abs=12)
    # the red-green edge at x = 324 is a few pixels wide, not smeared
    row = [_colour(largest, (x, 100)) for x in range(310, 340)]
    assert sum(1 for pixel in row if 40 < pixel[0] < 215) <= 4


# --- exact bytes for an added photo ---------------------------------------------------------


def test_render_exact_keeps_the_declared_size() -> None:
    data = with_orientation(quadrants(200, 100), 6)

    jpeg = render_exact(data, 100, 200)

    stored = Image.open(io.BytesIO(jpeg))
    assert (stored.format, stored.size) == ("JPEG", (100, 200))
    assert stored.getpixel((10, 10)) == pytest.approx(BLUE, abs=40)


def test_render_exact_names_both_sizes_on_a_mismatch() -> None:
    data = with_orientation(quadrants(200, 100), 6)

    with pytest.raises(DimensionsMismatch) as refused:
        render_exact(data, 200, 100)

    assert refused.value.kind is Rejection.DIMENSIONS_MISMATCH
    assert (refused.value.expected, refused.value.actual) == ((200, 100), (100, 200))
    assert "100x200" in str(refused.value)
    assert "200x100" in str(refused.value)


def test_render_exact_checks_the_header_before_decoding() -> None:
    data = png_declaring(300, 300)  # 64 bytes of pixels for 90,000: cannot be decoded

    with pytest.raises(DimensionsMismatch):
        render_exact(data, 200, 200)
    with pytest.raises(ImageRejected) as refused:
        render_exact(data, 300, 300)
    assert refused.value.kind is Rejection.CORRUPT


# --- ETags ---------------------------------------------------------------------------------


def test_etag_is_stable_strong_and_differs_by_content() -> None:
    first = render_sizes(encode(Image.new("RGB", (64, 64), RED), "PNG"))[0].jpeg
    second = render_sizes(encode(Image.new("RGB", (64, 64), BLUE), "PNG"))[0].jpeg

    assert etag_of(first) == etag_of(bytes(first))
    assert etag_of(first) != etag_of(second)
    assert re.fullmatch(r'"[A-Za-z0-9_-]{22}"', etag_of(first))


def test_rendering_is_deterministic() -> None:
    data = encode(Image.effect_noise((300, 300), 50).convert("RGB"), "JPEG")

    assert render_sizes(data) == render_sizes(data)


def test_renders_in_parallel_threads_match_sequential_ones() -> None:
    uploads = [encode(quadrants(300 + 40 * n, 300), "JPEG") for n in range(6)]
    sequential = [render_sizes(data) for data in uploads]

    with ThreadPoolExecutor(max_workers=4) as pool:
        parallel = list(pool.map(render_sizes, uploads))

    assert parallel == sequential


# --- property ------------------------------------------------------------------------------

_SAVABLE = {"JPEG": ("RGB", "L"), "PNG": ("RGB", "RGBA", "L", "P"), "GIF": ("RGB", "L", "P")}
_SAVABLE |= {"WEBP": ("RGB", "RGBA"), "BMP": ("RGB", "L", "P")}


@settings(max_examples=60, deadline=None)
@given(
    width=st.integers(1, 160),
    height=st.integers(1, 160),
    mode=st.sampled_from(["RGB", "RGBA", "L", "P"]),
    image_format=st.sampled_from(sorted(_SAVABLE)),
    seed=st.integers(0, 2**32 - 1),
)
def test_any_small_image_renders_to_squares_of_its_sizes(
    width: int, height: int, mode: str, image_format: str, seed: int
) -> None:
    bands = len(Image.new(mode, (1, 1)).getbands())
    image = Image.frombytes(
        mode,
        (width, height),
        random.Random(seed).randbytes(  # noqa: S311 - pixels, not secrets
            width * height * bands
        ),
    )
    if mode not in _SAVABLE[image_format]:
        image = image.convert("RGBA" if "RGBA" in _SAVABLE[image_format] else "RGB")

    rendered = render_sizes(encode(image, image_format))

    assert tuple(size for size, _ in rendered) == sizes_for(width, height)
    for size, jpeg in rendered:
        stored = Image.open(io.BytesIO(jpeg))
        assert (stored.format, stored.mode, stored.size) == ("JPEG", "RGB", (size, size))


def _pillow_images_made() -> int:
    """How many pixel buffers Pillow's C core has created in this process so far."""
    stats: dict[str, int] = Image.core.get_stats()  # type: ignore[attr-defined]
    return stats["new_count"]


def _colour(jpeg: bytes, point: tuple[int, int]) -> tuple[int, ...]:
    pixel = Image.open(io.BytesIO(jpeg)).convert("RGB").getpixel(point)
    assert isinstance(pixel, tuple)
    return pixel
