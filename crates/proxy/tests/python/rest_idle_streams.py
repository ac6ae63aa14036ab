"""Streams left idle past alluxio.proxy.stream.cache.timeout (1s here) are closed by the proxy:
an abandoned write never shows up as a file and its id is gone. Run by tests/rest.rs."""

import os
import time
import unittest

import alluxio
from alluxio import exceptions, option

HOST = os.environ["ALLUXIO_PROXY_HOST"]
PORT = int(os.environ["ALLUXIO_PROXY_PORT"])


class IdleStreams(unittest.TestCase):
    def test_idle_writer_is_cancelled_and_idle_reader_closed(self):
        c = alluxio.Client(HOST, PORT, timeout=60)
        with c.open("/idle/readable", "w", option.CreateFile(recursive=True)) as f:
            f.write(b"data")
        writer = c.create_file("/idle/abandoned")
        c.write(writer).write(b"never finished")
        reader = c.open_file("/idle/readable")
        time.sleep(3)
        with self.assertRaises(exceptions.NotFoundError):
            c.write(writer).write(b"too late")
        with self.assertRaises(exceptions.NotFoundError):
            c.close(reader)
        self.assertFalse(c.exists("/idle/abandoned"))
        # A stream in steady use is not idle, however long it lives.
        busy = c.create_file("/idle/busy")
        for _ in range(6):
            c.write(busy).write(b"x")
            time.sleep(0.4)
        c.close(busy)
        self.assertEqual(c.get_status("/idle/busy").length, 6)


if __name__ == "__main__":
    unittest.main(verbosity=2)
