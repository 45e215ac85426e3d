"""How messages travel over HTTP: protobuf bytes, or proto3 JSON that refuses unknown fields rather than drop them."""

from __future__ import annotations

import json
from typing import Any, TypeVar

from connectrpc.codec import Codec
from connectrpc.compat import google_protobuf_binary_codec
from google.protobuf import json_format
from google.protobuf.message import Message

from govmesh.services.gateway.httpface.statuses import undecodable_json

M = TypeVar("M", bound=Message)


class StrictJsonCodec:
    """Proto3 JSON (the Connect `json` codec), strict on the way in and readable Chinese on the way out.

    A misspelt field silently ignored would turn a filtered query into an unfiltered one, so an
    unknown field is an INVALID_ARGUMENT that names it.
    """

    def name(self) -> str:
        return "json"

    def encode(self, message: Message) -> bytes:
        document = json_format.MessageToDict(message, preserving_proto_field_name=False)
        return json.dumps(document, ensure_ascii=False, separators=(",", ":")).encode()

    def decode(self, data: bytes | bytearray, message_class: type[M]) -> M:
        message = message_class()
        if not data.strip():
            return message  # Connect sends an empty body for an empty message
        try:
            json_format.Parse(bytes(data), message, ignore_unknown_fields=False)
        except (json_format.ParseError, UnicodeDecodeError) as error:
            raise undecodable_json(message.DESCRIPTOR.full_name, str(error)) from None
        return message


def codecs() -> list[Codec[Any, Any]]:
    return [google_protobuf_binary_codec(), StrictJsonCodec()]
