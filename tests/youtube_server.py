"""A loopback stand-in for the YouTube Data API v3 endpoints psa uses, as Google documents them.

Resumable upload (POST /upload/youtube/v3/videos?uploadType=resumable -> Location; PUT chunks with
Content-Range -> 308 Resume Incomplete with Range, then 200 with the video; PUT `bytes */N` asks how
far it got), videos.list/update, captions.list/insert/update (multipart/related uploads),
playlists.list/insert, playlistItems.list/insert, and the OAuth token endpoint for refreshes.
Faults on demand: drop the connection on a chunk, answer 403 quotaExceeded, or 401 for a revoked
token. It keeps everything it received so tests measure it independently of psa.
"""

from __future__ import annotations

import email.parser
import email.policy
import hashlib
import http.server
import itertools
import json
import re
import socket
import struct
import urllib.parse
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from typing import Any

from helpers import serving

TOKEN = "ya29.loopback-token"
REFRESH = "loopback-refresh"
CODE = "loopback-consent-code"
SCOPES = ["https://www.googleapis.com/auth/youtube.upload", "https://www.googleapis.com/auth/youtube.force-ssl"]


@dataclass
class Video:
    id: str
    data: bytes
    snippet: dict[str, Any]
    status: dict[str, Any]


@dataclass
class State:
    videos: dict[str, Video] = field(default_factory=dict)
    sessions: dict[str, dict[str, Any]] = field(default_factory=dict)
    captions: dict[str, dict[str, Any]] = field(default_factory=dict)  # caption id -> {videoId, language, data}
    playlists: dict[str, dict[str, Any]] = field(default_factory=dict)
    items: list[tuple[str, str]] = field(default_factory=list)  # (playlistId, videoId)
    log: list[str] = field(default_factory=list)  # "METHOD path" of every request
    drop_chunks: set[int] = field(default_factory=set)  # chunk PUT numbers (1-based) to drop the connection on
    quota_after: int | None = None  # requests allowed before every request gets 403 quotaExceeded
    revoked: bool = False
    chunk_puts: int = 0
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def uploads(self) -> int:
        return sum(1 for line in self.log if line.startswith("POST /upload/youtube/v3/videos"))


class Handler(http.server.BaseHTTPRequestHandler):
    state: State
    port: int

    def log_message(self, format: str, *args: object) -> None:
        pass

    def _send(self, status: int, body: Any = None, headers: dict[str, str] | None = None) -> None:
        data = json.dumps(body).encode() if body is not None else b""
        self.send_response(status)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def _error(self, status: int, reason: str, message: str) -> None:
        self._send(status, {"error": {"code": status, "message": message, "errors": [{"reason": reason}]}})

    def _body(self) -> bytes:
        return self.rfile.read(int(self.headers.get("Content-Length") or 0))

    def _route(self, method: str) -> None:
        url = urllib.parse.urlsplit(self.path)
        query = {k: v[-1] for k, v in urllib.parse.parse_qs(url.query).items()}
        self.state.log.append(f"{method} {url.path}")
        if url.path == "/token":
            body = urllib.parse.parse_qs(self._body().decode())
            if body.get("grant_type") == ["authorization_code"] and body.get("code") == [CODE]:
                self._send(200, {"access_token": TOKEN, "refresh_token": REFRESH, "expires_in": 3600,
                                 "token_type": "Bearer", "scope": " ".join(SCOPES)})  # fmt: skip
            elif self.state.revoked or body.get("refresh_token") != [REFRESH]:
                self._send(400, {"error": "invalid_grant", "error_description": "Token has been expired or revoked."})
            else:
                self._send(200, {"access_token": TOKEN, "expires_in": 3600, "token_type": "Bearer"})
            return
        if self.headers.get("Authorization") != f"Bearer {TOKEN}" or self.state.revoked:
            self._body()
            self._error(401, "authError", "Invalid Credentials")
            return
        if self.state.quota_after is not None:
            if self.state.quota_after <= 0:
                self._body()
                self._error(
                    403, "quotaExceeded", "The request cannot be completed because you have exceeded your quota."
                )
                return
            self.state.quota_after -= 1
        handler = getattr(self, f"_{method.lower()}_{url.path.strip('/').replace('/', '_')}", None)
        if handler is None:
            self._error(404, "notFound", f"no {method} {url.path} here")
            return
        handler(query)

    def do_GET(self) -> None:
        self._route("GET")

    def do_POST(self) -> None:
        self._route("POST")

    def do_PUT(self) -> None:
        self._route("PUT")

    # ---- videos ---------------------------------------------------------------------------------------------

    def _post_upload_youtube_v3_videos(self, query: dict[str, str]) -> None:
        assert query.get("uploadType") == "resumable", query
        metadata = json.loads(self._body() or b"{}")
        session = f"s{next(self.state.ids)}"
        total = int(self.headers.get("X-Upload-Content-Length") or -1)
        self.state.sessions[session] = {"meta": metadata, "data": bytearray(), "total": total}
        location = f"http://127.0.0.1:{self.port}/upload/youtube/v3/videos?uploadType=resumable&upload_id={session}"
        self._send(200, None, {"Location": location})

    def _put_upload_youtube_v3_videos(self, query: dict[str, str]) -> None:
        session = self.state.sessions[query["upload_id"]]
        content_range = self.headers.get("Content-Range", "")
        data = self._body()
        status = re.fullmatch(r"bytes \*/(\d+)", content_range)
        if status is None:
            self.state.chunk_puts += 1
            if self.state.chunk_puts in self.state.drop_chunks:
                # The link drops mid-chunk: keep half of what arrived, answer nothing.
                start = int(re.match(r"bytes (\d+)-", content_range).group(1))  # type: ignore[union-attr]
                session["data"][start:] = data[: len(data) // 2]
                # Reset, not a clean close: what a dropped mobile link looks like to the client.
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                self.connection.close()
                self.close_connection = True
                return
            match = re.fullmatch(r"bytes (\d+)-(\d+)/(\d+|\*)", content_range)
            assert match, content_range
            start = int(match.group(1))
            assert start <= len(session["data"]), (start, len(session["data"]))
            session["data"][start:] = data
            if match.group(3) != "*":
                session["total"] = int(match.group(3))
        done = len(session["data"])
        if session["total"] >= 0 and done >= session["total"]:
            video_id = session.get("video")
            if video_id is None:
                video_id = f"vid{next(self.state.ids):08d}"
                meta = session["meta"]
                self.state.videos[video_id] = Video(video_id, bytes(session["data"]), meta.get("snippet", {}),
                                                    {"uploadStatus": "processed", **meta.get("status", {})})  # fmt: skip
                session["video"] = video_id
            self._send(200, self._video(self.state.videos[video_id]))
        else:
            self._send(308, None, {"Range": f"bytes=0-{done - 1}"} if done else {})

    def _video(self, video: Video) -> dict[str, Any]:
        return {"kind": "youtube#video", "id": video.id, "snippet": video.snippet, "status": video.status}

    def _get_youtube_v3_videos(self, query: dict[str, str]) -> None:
        found = [self._video(self.state.videos[i]) for i in query.get("id", "").split(",") if i in self.state.videos]
        self._send(200, {"kind": "youtube#videoListResponse", "items": found})

    def _put_youtube_v3_videos(self, query: dict[str, str]) -> None:
        body = json.loads(self._body())
        video = self.state.videos[body["id"]]
        for part in query["part"].split(","):
            setattr(video, part, {**getattr(video, part), **body[part]})
        self._send(200, self._video(video))

    # ---- captions -------------------------------------------------------------------------------------------

    def _multipart(self) -> tuple[dict[str, Any], bytes]:
        raw = b"Content-Type: " + self.headers["Content-Type"].encode() + b"\r\n\r\n" + self._body()
        message = email.parser.BytesParser(policy=email.policy.HTTP).parsebytes(raw)
        parts = list(message.iter_parts())
        return json.loads(parts[0].get_payload(decode=True)), parts[1].get_payload(decode=True)

    def _post_upload_youtube_v3_captions(self, query: dict[str, str]) -> None:
        assert query.get("uploadType") == "multipart", query
        meta, data = self._multipart()
        snippet = meta["snippet"]
        if snippet["videoId"] not in self.state.videos:
            self._error(404, "videoNotFound", "video not found")
            return
        caption_id = f"cap{next(self.state.ids)}"
        self.state.captions[caption_id] = {**snippet, "data": data, "sha256": hashlib.sha256(data).hexdigest()}
        self._send(200, {"kind": "youtube#caption", "id": caption_id, "snippet": snippet})

    def _put_upload_youtube_v3_captions(self, query: dict[str, str]) -> None:
        meta, data = self._multipart()
        caption = self.state.captions[meta["id"]]
        caption.update(data=data, sha256=hashlib.sha256(data).hexdigest())
        self._send(200, {"kind": "youtube#caption", "id": meta["id"]})

    def _get_youtube_v3_captions(self, query: dict[str, str]) -> None:
        items = [{"id": cid, "snippet": {k: v for k, v in c.items() if k not in ("data", "sha256")}}
                 for cid, c in self.state.captions.items() if c["videoId"] == query["videoId"]]  # fmt: skip
        self._send(200, {"items": items})

    # ---- playlists ------------------------------------------------------------------------------------------

    def _get_youtube_v3_playlists(self, query: dict[str, str]) -> None:
        self._send(200, {"items": [{"id": pid, "snippet": p} for pid, p in self.state.playlists.items()]})

    def _post_youtube_v3_playlists(self, query: dict[str, str]) -> None:
        body = json.loads(self._body())
        playlist_id = f"PL{next(self.state.ids)}"
        self.state.playlists[playlist_id] = body["snippet"]
        self._send(200, {"id": playlist_id, "snippet": body["snippet"]})

    def _get_youtube_v3_playlistItems(self, query: dict[str, str]) -> None:
        found = [
            {"id": f"{p}:{v}"} for p, v in self.state.items if p == query["playlistId"] and v == query.get("videoId")
        ]
        self._send(200, {"items": found})

    def _post_youtube_v3_playlistItems(self, query: dict[str, str]) -> None:
        snippet = json.loads(self._body())["snippet"]
        self.state.items.append((snippet["playlistId"], snippet["resourceId"]["videoId"]))
        self._send(200, {"id": "item", "snippet": snippet})


@contextmanager
def youtube_server() -> Iterator[tuple[str, State]]:
    """Serve on 127.0.0.1 at a free port; yields the base URL and the server's state."""
    state = State()
    handler = type("BoundHandler", (Handler,), {"state": state})
    with serving(handler) as url:
        handler.port = int(url.rsplit(":", 1)[1])
        yield url, state
