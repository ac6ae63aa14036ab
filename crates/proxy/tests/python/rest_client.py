"""Drives the proxy's REST API with PyPI's `alluxio` 0.1.4 client, unchanged.

Run by crates/proxy/tests/rest.rs with ALLUXIO_PROXY_HOST and ALLUXIO_PROXY_PORT set.
"""

import json
import os
import time
import unittest
import urllib.error
import urllib.request

import alluxio
from alluxio import exceptions, option, wire

HOST = os.environ["ALLUXIO_PROXY_HOST"]
PORT = int(os.environ["ALLUXIO_PROXY_PORT"])
UFS_ROOT = os.environ["ALLUXIO_UFS_ROOT"]
MOUNT_SOURCE = os.environ["ALLUXIO_MOUNT_SOURCE"]


def client():
    return alluxio.Client(HOST, PORT, timeout=60)


def raw_post(path, body=b""):
    """POST without the client, for requests it cannot make; returns (status, decoded JSON)."""
    request = urllib.request.Request(
        "http://%s:%d%s" % (HOST, PORT, path), data=body, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


class Directories(unittest.TestCase):
    def test_create_list_exists_delete(self):
        c = client()
        c.create_directory("/rest/dirs/a/b", option.CreateDirectory(recursive=True))
        c.create_directory("/rest/dirs/c")
        self.assertTrue(c.exists("/rest/dirs/a/b"))
        self.assertFalse(c.exists("/rest/dirs/none"))
        self.assertEqual(c.ls("/rest/dirs"), ["a", "c"])
        with self.assertRaises(exceptions.AlreadyExistsError):
            c.create_directory("/rest/dirs/c")
        c.create_directory("/rest/dirs/c", option.CreateDirectory(allow_exists=True))
        with self.assertRaises(exceptions.FailedPreconditionError):
            c.delete("/rest/dirs/a")
        c.delete("/rest/dirs/a", option.Delete(recursive=True))
        self.assertEqual(c.ls("/rest/dirs"), ["c"])

    def test_root_is_reachable_with_the_clients_leading_slash(self):
        c = client()
        c.create_directory("/rest/root-check", option.CreateDirectory(recursive=True))
        self.assertIn("rest", c.ls("/"))
        self.assertTrue(c.get_status("/").folder)

    def test_through_directory_reaches_the_ufs(self):
        c = client()
        c.create_directory(
            "/rest/persisted/dir",
            option.CreateDirectory(recursive=True, write_type=wire.WRITE_TYPE_CACHE_THROUGH),
        )
        self.assertTrue(os.path.isdir(os.path.join(UFS_ROOT, "rest/persisted/dir")))


class Files(unittest.TestCase):
    def test_write_read_with_open(self):
        c = client()
        data = os.urandom(3 * 1024 * 1024 + 17)
        with c.open("/rest/files/big", "w", option.CreateFile(recursive=True)) as f:
            self.assertEqual(f.write(data[:1000]), 1000)
            self.assertEqual(f.write(data[1000:]), len(data) - 1000)
        with c.open("/rest/files/big", "r") as f:
            self.assertEqual(f.read(), data)
        status = c.get_status("/rest/files/big")
        self.assertEqual(status.length, len(data))
        self.assertTrue(status.completed)
        self.assertFalse(status.folder)
        self.assertEqual(status.name, "big")
        self.assertEqual(status.path, "/rest/files/big")
        self.assertEqual(status.in_memory_percentage, 100)
        self.assertEqual(
            sum(block.block_info.length for block in status.file_block_infos), len(data)
        )
        self.assertEqual(status.block_ids, [b.block_info.block_id for b in status.file_block_infos])

    def test_streamed_write_from_a_file_object_and_chunked_read(self):
        c = client()
        path = os.path.join(os.environ["ALLUXIO_SCRATCH"], "upload")
        data = os.urandom(2 * 1024 * 1024)
        with open(path, "wb") as f:
            f.write(data)
        file_id = c.create_file("/rest/files/from-file", option.CreateFile(recursive=True))
        with open(path, "rb") as f:
            # requests sends a file object chunked (Transfer-Encoding) with no Content-Length.
            self.assertEqual(c.write(file_id).write(f), len(data))
        c.close(file_id)
        file_id = c.open_file("/rest/files/from-file", option.OpenFile(read_type=wire.READ_TYPE_NO_CACHE))
        reader = c.read(file_id)
        received = b"".join(chunk for chunk in reader)
        reader.close()
        c.close(file_id)
        self.assertEqual(received, data)

    def test_a_file_appears_only_when_closed(self):
        c = client()
        file_id = c.create_file("/rest/files/pending", option.CreateFile(recursive=True))
        c.write(file_id).write(b"partial")
        self.assertFalse(c.get_status("/rest/files/pending").completed)
        c.close(file_id)
        self.assertTrue(c.get_status("/rest/files/pending").completed)

    def test_cache_through_file_is_persisted(self):
        c = client()
        opt = option.CreateFile(recursive=True, write_type=wire.WRITE_TYPE_CACHE_THROUGH)
        with c.open("/rest/files/persisted", "w", opt) as f:
            f.write(b"durable")
        status = c.get_status("/rest/files/persisted")
        self.assertTrue(status.persisted)
        self.assertEqual(status.persistence_state.name, "PERSISTED")
        with open(os.path.join(UFS_ROOT, "rest/files/persisted"), "rb") as f:
            self.assertEqual(f.read(), b"durable")

    def test_rename_free_and_attributes(self):
        c = client()
        opt = option.CreateFile(recursive=True, write_type=wire.WRITE_TYPE_CACHE_THROUGH)
        with c.open("/rest/attrs/f", "w", opt) as f:
            f.write(b"x" * 1000)
        c.rename("/rest/attrs/f", "/rest/attrs/g")
        self.assertFalse(c.exists("/rest/attrs/f"))
        c.set_attribute("/rest/attrs/g", option.SetAttribute(pinned=True, ttl=3600000, ttl_action=wire.TTL_ACTION_FREE))
        status = c.get_status("/rest/attrs/g")
        self.assertTrue(status.pinned)
        self.assertEqual(status.ttl, 3600000)
        self.assertEqual(status.ttl_action.name, "FREE")
        c.set_attribute("/rest/attrs/g", option.SetAttribute(pinned=False))
        c.free("/rest/attrs/g")
        # Workers drop freed blocks on their next heartbeat, as in Alluxio.
        deadline = time.time() + 20
        while c.get_status("/rest/attrs/g").in_memory_percentage != 0 and time.time() < deadline:
            time.sleep(0.1)
        self.assertEqual(c.get_status("/rest/attrs/g").in_memory_percentage, 0)
        with c.open("/rest/attrs/g", "r") as f:
            self.assertEqual(f.read(), b"x" * 1000)

    def test_mount_and_unmount(self):
        c = client()
        c.mount("/rest-mnt", MOUNT_SOURCE, option.Mount(read_only=True))
        self.assertIn("seed.txt", c.ls("/rest-mnt"))
        self.assertTrue(c.get_status("/rest-mnt").mount_point)
        with c.open("/rest-mnt/seed.txt", "r") as f:
            self.assertEqual(f.read(), b"from the mounted ufs\n")
        with self.assertRaises(exceptions.AlluxioError):
            with c.open("/rest-mnt/new", "w") as f:
                f.write(b"refused")
        c.unmount("/rest-mnt")
        self.assertFalse(c.exists("/rest-mnt"))


class Errors(unittest.TestCase):
    def test_missing_paths_raise_not_found(self):
        c = client()
        with self.assertRaises(exceptions.NotFoundError):
            c.get_status("/rest/errors/none")
        with self.assertRaises(exceptions.NotFoundError):
            c.open_file("/rest/errors/none")
        with self.assertRaises(exceptions.NotFoundError):
            c.rename("/rest/errors/none", "/rest/errors/other")

    def test_unsupported_and_unknown_options_are_invalid_arguments(self):
        c = client()
        mode = wire.Mode(wire.BITS_ALL, wire.BITS_READ, wire.BITS_NONE)
        with self.assertRaises(exceptions.InvalidArgumentError) as caught:
            c.create_directory("/rest/errors/mode", option.CreateDirectory(mode=mode))
        self.assertIn("mode", str(caught.exception))
        status, body = raw_post("/api/v1/paths//rest/errors/x/create-directory", b'{"recursiv": true}')
        self.assertEqual(status, 400)
        self.assertEqual(body["statusCode"], "INVALID_ARGUMENT")
        self.assertIn("recursiv", body["message"])
        status, body = raw_post("/api/v1/paths//rest/errors/x/create-directory", b"{not json")
        self.assertEqual((status, body["statusCode"]), (400, "INVALID_ARGUMENT"))

    def test_unknown_actions_and_streams(self):
        status, body = raw_post("/api/v1/paths//rest/explode")
        self.assertEqual((status, body["statusCode"]), (404, "NOT_FOUND"))
        self.assertIn("unknown action 'explode'", body["message"])
        status, body = raw_post("/api/v1/streams/987654/read")
        self.assertEqual((status, body["statusCode"]), (404, "NOT_FOUND"))
        status, body = raw_post("/api/v1/streams/abc/read")
        self.assertEqual((status, body["statusCode"]), (400, "INVALID_ARGUMENT"))
        status, body = raw_post("/api/v1/paths//rest/x/rename")
        self.assertEqual((status, body["statusCode"]), (400, "INVALID_ARGUMENT"))
        self.assertIn("dst", body["message"])

    def test_a_closed_stream_id_is_never_reused(self):
        c = client()
        first = c.create_file("/rest/ids/a", option.CreateFile(recursive=True))
        c.close(first)
        with self.assertRaises(exceptions.NotFoundError):
            c.close(first)
        with self.assertRaises(exceptions.NotFoundError):
            c.write(first).write(b"late")
        second = c.create_file("/rest/ids/b")
        self.assertNotEqual(first, second)
        c.close(second)

    def test_reading_a_write_stream_is_refused(self):
        c = client()
        file_id = c.create_file("/rest/ids/w", option.CreateFile(recursive=True))
        with self.assertRaises(exceptions.InvalidArgumentError):
            c.read(file_id).read()
        c.close(file_id)


class ProxyInfo(unittest.TestCase):
    def test_info_has_configuration_without_secrets(self):
        with urllib.request.urlopen("http://%s:%d/api/v1/proxy/info" % (HOST, PORT), timeout=30) as r:
            info = json.loads(r.read())
        self.assertGreater(info["startTimeMs"], 0)
        self.assertGreaterEqual(info["uptimeMs"], 0)
        self.assertTrue(info["version"])
        self.assertEqual(info["configuration"]["alluxio.proxy.web.bind.host"], "127.0.0.1")
        self.assertEqual(info["configuration"]["aws.secretKey"], "******")
        self.assertNotIn("do-not-show", json.dumps(info))


if __name__ == "__main__":
    unittest.main(verbosity=2)
