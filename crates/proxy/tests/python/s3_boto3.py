"""The proxy's S3 API driven by boto3, the reference S3 client.

Run by crates/proxy/tests/s3_boto3.rs with:
  S3_ENDPOINT       http://127.0.0.1:PORT/api/v1/s3 (the web port)
  S3_ROOT_ENDPOINT  http://127.0.0.1:PORT (the S3 port), optional
  S3_VHOST_PORT     port whose Host `<bucket>.localhost:PORT` names the bucket, optional
  S3_SCENARIO       "open" (no credentials configured) or "auth" (a key pair is configured)
  S3_ACCESS_KEY / S3_SECRET_KEY  the key pair to sign with
"""

import hashlib
import http.client
import os
import unittest
import urllib.parse
import urllib.request
import urllib.error
from datetime import datetime, timedelta, timezone

import boto3
import botocore
from botocore.config import Config
from botocore.exceptions import ClientError

ENDPOINT = os.environ["S3_ENDPOINT"]
ROOT_ENDPOINT = os.environ.get("S3_ROOT_ENDPOINT")
VHOST_PORT = os.environ.get("S3_VHOST_PORT")
SCENARIO = os.environ["S3_SCENARIO"]
ACCESS_KEY = os.environ.get("S3_ACCESS_KEY", "anyone")
SECRET_KEY = os.environ.get("S3_SECRET_KEY", "anything")
MIB = 1 << 20


def client(endpoint=ENDPOINT, access_key=ACCESS_KEY, secret_key=SECRET_KEY, **config):
    return boto3.client(
        "s3",
        endpoint_url=endpoint,
        aws_access_key_id=access_key,
        aws_secret_access_key=secret_key,
        region_name="us-east-1",
        config=Config(s3={"addressing_style": "path"}, retries={"max_attempts": 1}, **config),
    )


def fetch(request):
    """urlopen, failing with the S3 error body rather than just the status."""
    try:
        with urllib.request.urlopen(request) as answer:
            return answer.status, answer.read()
    except urllib.error.HTTPError as err:
        raise AssertionError("%s %s: %s" % (err.code, err.reason, err.read().decode(errors="replace")))


def put_url(url, body):
    """PUTs `body` to a presigned URL as curl -T would: no Content-Type (urllib would add one,
    which a SigV2 presigned URL signs as empty)."""
    parts = urllib.parse.urlsplit(url)
    connection = http.client.HTTPConnection(parts.netloc, timeout=60)
    connection.request("PUT", parts.path + "?" + parts.query, body=body)
    answer = connection.getresponse()
    text = answer.read()
    connection.close()
    if answer.status != 200:
        raise AssertionError("%s: %s" % (answer.status, text.decode(errors="replace")))
    return answer.status


def error_code(err):
    return err.response["Error"]["Code"]


def status(err):
    return err.response["ResponseMetadata"]["HTTPStatusCode"]


class S3TestCase(unittest.TestCase):
    bucket = None

    @classmethod
    def setUpClass(cls):
        cls.s3 = client()
        cls.s3.create_bucket(Bucket=cls.bucket)

    def assertMissing(self, key):
        # A HEAD error has no body: boto3 reports the status as the code.
        with self.assertRaises(ClientError) as caught:
            self.s3.head_object(Bucket=self.bucket, Key=key)
        self.assertEqual(status(caught.exception), 404)

    def assertError(self, code, http_status, call, *args, **kwargs):
        with self.assertRaises(ClientError) as caught:
            call(*args, **kwargs)
        self.assertEqual(error_code(caught.exception), code, caught.exception.response)
        self.assertEqual(status(caught.exception), http_status)
        return caught.exception


class BucketTests(S3TestCase):
    bucket = "buckets-base"

    def test_create_list_head_delete(self):
        self.s3.create_bucket(Bucket="buckets-new")
        names = [b["Name"] for b in self.s3.list_buckets()["Buckets"]]
        self.assertIn("buckets-new", names)
        self.assertEqual(names, sorted(names))
        self.s3.head_bucket(Bucket="buckets-new")
        location = self.s3.get_bucket_location(Bucket="buckets-new")
        self.assertIsNone(location.get("LocationConstraint"))
        self.assertError("BucketAlreadyOwnedByYou", 409, self.s3.create_bucket, Bucket="buckets-new")
        self.s3.put_object(Bucket="buckets-new", Key="k", Body=b"x")
        self.assertError("BucketNotEmpty", 409, self.s3.delete_bucket, Bucket="buckets-new")
        self.s3.delete_object(Bucket="buckets-new", Key="k")
        self.s3.delete_bucket(Bucket="buckets-new")
        with self.assertRaises(ClientError) as caught:
            self.s3.head_bucket(Bucket="buckets-new")
        self.assertEqual(status(caught.exception), 404)
        self.assertError("NoSuchBucket", 404, self.s3.list_objects_v2, Bucket="buckets-new")
        self.assertError("NoSuchBucket", 404, self.s3.put_object, Bucket="buckets-new", Key="k", Body=b"x")

    def test_a_bucket_emptied_by_deletes_can_be_deleted(self):
        self.s3.create_bucket(Bucket="buckets-deep")
        self.s3.put_object(Bucket="buckets-deep", Key="a/b/c/d.txt", Body=b"deep")
        self.s3.delete_object(Bucket="buckets-deep", Key="a/b/c/d.txt")
        self.assertEqual(self.s3.list_objects_v2(Bucket="buckets-deep")["KeyCount"], 0)
        self.s3.delete_bucket(Bucket="buckets-deep")


class ObjectTests(S3TestCase):
    bucket = "objects"

    def test_put_get_head_delete(self):
        body = os.urandom(3 * MIB + 17)
        put = self.s3.put_object(Bucket=self.bucket, Key="dir/sub/file.bin", Body=body)
        self.assertEqual(put["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
        got = self.s3.get_object(Bucket=self.bucket, Key="dir/sub/file.bin")
        self.assertEqual(got["Body"].read(), body)
        self.assertEqual(got["ETag"], put["ETag"])
        self.assertEqual(got["ContentLength"], len(body))
        head = self.s3.head_object(Bucket=self.bucket, Key="dir/sub/file.bin")
        self.assertEqual(head["ContentLength"], len(body))
        self.assertEqual(head["ETag"], put["ETag"])
        self.assertIsInstance(head["LastModified"], datetime)
        deleted = self.s3.delete_object(Bucket=self.bucket, Key="dir/sub/file.bin")
        self.assertEqual(deleted["ResponseMetadata"]["HTTPStatusCode"], 204)
        self.assertError("NoSuchKey", 404, self.s3.get_object, Bucket=self.bucket, Key="dir/sub/file.bin")
        # Deleting a missing key is still 204.
        again = self.s3.delete_object(Bucket=self.bucket, Key="dir/sub/file.bin")
        self.assertEqual(again["ResponseMetadata"]["HTTPStatusCode"], 204)

    def test_empty_objects_and_overwrites(self):
        self.s3.put_object(Bucket=self.bucket, Key="empty", Body=b"")
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="empty")["Body"].read(), b"")
        self.s3.put_object(Bucket=self.bucket, Key="over", Body=b"first version")
        self.s3.put_object(Bucket=self.bucket, Key="over", Body=b"second", ContentType="text/x-second")
        got = self.s3.get_object(Bucket=self.bucket, Key="over")
        self.assertEqual(got["Body"].read(), b"second")
        self.assertEqual(got["ContentType"], "text/x-second")

    def test_metadata_and_content_type(self):
        self.s3.put_object(
            Bucket=self.bucket,
            Key="meta.txt",
            Body=b"with metadata",
            ContentType="text/plain; charset=utf-8",
            Metadata={"color": "blue", "owner-name": "alice"},
        )
        head = self.s3.head_object(Bucket=self.bucket, Key="meta.txt")
        self.assertEqual(head["ContentType"], "text/plain; charset=utf-8")
        self.assertEqual(head["Metadata"], {"color": "blue", "owner-name": "alice"})
        got = self.s3.get_object(Bucket=self.bucket, Key="meta.txt")
        self.assertEqual(got["Metadata"], {"color": "blue", "owner-name": "alice"})

    def test_ranges(self):
        body = bytes(range(256)) * 40
        self.s3.put_object(Bucket=self.bucket, Key="ranged", Body=body)
        got = self.s3.get_object(Bucket=self.bucket, Key="ranged", Range="bytes=10-19")
        self.assertEqual(got["ResponseMetadata"]["HTTPStatusCode"], 206)
        self.assertEqual(got["Body"].read(), body[10:20])
        self.assertEqual(got["ContentRange"], "bytes 10-19/%d" % len(body))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="ranged", Range="bytes=-5")["Body"].read(), body[-5:])
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="ranged", Range="bytes=10000-")["Body"].read(), body[10000:])
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="ranged", Range="bytes=10230-99999")["Body"].read(), body[10230:])
        self.assertError("InvalidRange", 416, self.s3.get_object, Bucket=self.bucket, Key="ranged", Range="bytes=20000-")

    def test_conditional_requests(self):
        put = self.s3.put_object(Bucket=self.bucket, Key="cond", Body=b"conditional")
        etag = put["ETag"]
        self.s3.get_object(Bucket=self.bucket, Key="cond", IfMatch=etag)
        self.assertError("PreconditionFailed", 412, self.s3.get_object, Bucket=self.bucket, Key="cond", IfMatch='"nope"')
        with self.assertRaises(ClientError) as caught:
            self.s3.get_object(Bucket=self.bucket, Key="cond", IfNoneMatch=etag)
        self.assertEqual(status(caught.exception), 304)
        with self.assertRaises(ClientError) as caught:
            self.s3.head_object(Bucket=self.bucket, Key="cond", IfNoneMatch=etag)
        self.assertEqual(status(caught.exception), 304)
        future = datetime.now(timezone.utc) + timedelta(days=1)
        past = datetime.now(timezone.utc) - timedelta(days=1)
        with self.assertRaises(ClientError) as caught:
            self.s3.get_object(Bucket=self.bucket, Key="cond", IfModifiedSince=future)
        self.assertEqual(status(caught.exception), 304)
        self.s3.get_object(Bucket=self.bucket, Key="cond", IfModifiedSince=past)
        self.s3.get_object(Bucket=self.bucket, Key="cond", IfUnmodifiedSince=future)
        with self.assertRaises(ClientError) as caught:
            self.s3.head_object(Bucket=self.bucket, Key="cond", IfUnmodifiedSince=past)
        self.assertEqual(status(caught.exception), 412)

    def test_copy(self):
        self.s3.put_object(Bucket=self.bucket, Key="src.txt", Body=b"copy me", ContentType="text/x-src", Metadata={"a": "1"})
        copied = self.s3.copy_object(Bucket=self.bucket, Key="copies/dst.txt", CopySource={"Bucket": self.bucket, "Key": "src.txt"})
        self.assertEqual(copied["CopyObjectResult"]["ETag"], '"%s"' % hashlib.md5(b"copy me").hexdigest())
        head = self.s3.head_object(Bucket=self.bucket, Key="copies/dst.txt")
        self.assertEqual(head["ContentType"], "text/x-src")
        self.assertEqual(head["Metadata"], {"a": "1"})
        self.s3.copy_object(
            Bucket=self.bucket,
            Key="copies/replaced.txt",
            CopySource="%s/src.txt" % self.bucket,
            MetadataDirective="REPLACE",
            ContentType="text/x-new",
            Metadata={"b": "2"},
        )
        head = self.s3.head_object(Bucket=self.bucket, Key="copies/replaced.txt")
        self.assertEqual((head["ContentType"], head["Metadata"]), ("text/x-new", {"b": "2"}))
        self.assertEqual(self.s3.get_object(Bucket=self.bucket, Key="copies/replaced.txt")["Body"].read(), b"copy me")
        # Onto itself: only with REPLACE.
        self.assertError("InvalidRequest", 400, self.s3.copy_object, Bucket=self.bucket, Key="src.txt", CopySource={"Bucket": self.bucket, "Key": "src.txt"})
        self.s3.copy_object(Bucket=self.bucket, Key="src.txt", CopySource={"Bucket": self.bucket, "Key": "src.txt"}, MetadataDirective="REPLACE", Metadata={"c": "3"})
        self.assertEqual(self.s3.head_object(Bucket=self.bucket, Key="src.txt")["Metadata"], {"c": "3"})
        self.assertError("NoSuchKey", 404, self.s3.copy_object, Bucket=self.bucket, Key="x", CopySource={"Bucket": self.bucket, "Key": "missing"})

    def test_multi_delete(self):
        keys = ["md/%d" % i for i in range(5)]
        for key in keys:
            self.s3.put_object(Bucket=self.bucket, Key=key, Body=b"x")
        answer = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys[:3]] + [{"Key": "md/missing"}]})
        self.assertEqual(sorted(d["Key"] for d in answer["Deleted"]), sorted(keys[:3] + ["md/missing"]))
        quiet = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": k} for k in keys[3:]], "Quiet": True})
        self.assertEqual(quiet.get("Deleted", []), [])
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket, Prefix="md/")["KeyCount"], 0)
        bad = self.s3.delete_objects(Bucket=self.bucket, Delete={"Objects": [{"Key": "a/../b"}]})
        self.assertEqual(bad["Errors"][0]["Code"], "InvalidArgument")

    def test_directory_markers(self):
        self.s3.put_object(Bucket=self.bucket, Key="marker/", Body=b"")
        head = self.s3.head_object(Bucket=self.bucket, Key="marker/")
        self.assertEqual(head["ContentLength"], 0)
        listed = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="marker")
        self.assertEqual([o["Key"] for o in listed["Contents"]], ["marker/"])
        self.assertError("InvalidArgument", 400, self.s3.put_object, Bucket=self.bucket, Key="marker2/", Body=b"data")
        self.s3.delete_object(Bucket=self.bucket, Key="marker/")
        self.assertError("NoSuchKey", 404, self.s3.get_object, Bucket=self.bucket, Key="marker/")

    def test_bad_keys_are_refused(self):
        self.assertError("KeyTooLongError", 400, self.s3.put_object, Bucket=self.bucket, Key="k" * 2048, Body=b"x")
        for key in ["a/../b", "a//b", "./a", "a/."]:
            self.assertError("InvalidArgument", 400, self.s3.put_object, Bucket=self.bucket, Key=key, Body=b"x")
        names = [o["Key"] for o in self.s3.list_objects_v2(Bucket=self.bucket).get("Contents", [])]
        self.assertFalse([n for n in names if n in ("b", "a/b", "a")], names)


class ListTests(S3TestCase):
    bucket = "listing"
    keys = sorted(
        ["a.txt", "a-b", "a/1", "a/2", "a/b/3", "b/x", "b/y/z", "c", "d e+f%.txt", "ünï/code"]
        + ["many/%03d" % i for i in range(25)]
    )

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        for key in cls.keys:
            cls.s3.put_object(Bucket=cls.bucket, Key=key, Body=key.encode())

    def all_keys(self, pages, field="Contents"):
        return [o["Key"] for page in pages for o in page.get(field, [])]

    def test_v2_lists_every_key_in_order(self):
        listed = self.s3.list_objects_v2(Bucket=self.bucket)
        self.assertEqual([o["Key"] for o in listed["Contents"]], sorted(self.keys, key=lambda k: k.encode()))
        self.assertEqual(listed["KeyCount"], len(self.keys))
        self.assertFalse(listed["IsTruncated"])
        sizes = {o["Key"]: o["Size"] for o in listed["Contents"]}
        self.assertEqual(sizes["a/b/3"], len(b"a/b/3"))
        etags = {o["Key"]: o["ETag"] for o in listed["Contents"]}
        self.assertEqual(etags["c"], '"%s"' % hashlib.md5(b"c").hexdigest())

    def test_v2_delimiter_and_prefix(self):
        top = self.s3.list_objects_v2(Bucket=self.bucket, Delimiter="/")
        self.assertEqual([o["Key"] for o in top["Contents"]], ["a-b", "a.txt", "c", "d e+f%.txt"])
        self.assertEqual([p["Prefix"] for p in top["CommonPrefixes"]], ["a/", "b/", "many/", "ünï/"])
        inner = self.s3.list_objects_v2(Bucket=self.bucket, Delimiter="/", Prefix="a/")
        self.assertEqual([o["Key"] for o in inner["Contents"]], ["a/1", "a/2"])
        self.assertEqual([p["Prefix"] for p in inner["CommonPrefixes"]], ["a/b/"])
        partial = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="a")
        self.assertEqual([o["Key"] for o in partial["Contents"]], ["a-b", "a.txt", "a/1", "a/2", "a/b/3"])
        self.assertEqual(self.s3.list_objects_v2(Bucket=self.bucket, Prefix="zzz")["KeyCount"], 0)

    def test_v2_pagination(self):
        paginator = self.s3.get_paginator("list_objects_v2")
        pages = list(paginator.paginate(Bucket=self.bucket, PaginationConfig={"PageSize": 4}))
        self.assertGreater(len(pages), 5)
        self.assertTrue(all(p["KeyCount"] <= 4 for p in pages))
        self.assertEqual(self.all_keys(pages), sorted(self.keys, key=lambda k: k.encode()))
        page = self.s3.list_objects_v2(Bucket=self.bucket, MaxKeys=3)
        self.assertTrue(page["IsTruncated"])
        rest = self.s3.list_objects_v2(Bucket=self.bucket, ContinuationToken=page["NextContinuationToken"], MaxKeys=1)
        self.assertEqual(rest["Contents"][0]["Key"], sorted(self.keys, key=lambda k: k.encode())[3])
        after = self.s3.list_objects_v2(Bucket=self.bucket, StartAfter="many/020")
        self.assertEqual(after["Contents"][0]["Key"], "many/021")
        delimited = list(paginator.paginate(Bucket=self.bucket, Delimiter="/", PaginationConfig={"PageSize": 2}))
        prefixes = [p["Prefix"] for page in delimited for p in page.get("CommonPrefixes", [])]
        self.assertEqual(prefixes, ["a/", "b/", "many/", "ünï/"])

    def test_v1_markers(self):
        paginator = self.s3.get_paginator("list_objects")
        pages = list(paginator.paginate(Bucket=self.bucket, PaginationConfig={"PageSize": 7}))
        self.assertEqual(self.all_keys(pages), sorted(self.keys, key=lambda k: k.encode()))
        first = self.s3.list_objects(Bucket=self.bucket, MaxKeys=2, Delimiter="/")
        self.assertTrue(first["IsTruncated"])
        self.assertEqual(first["NextMarker"], "a.txt")
        second = self.s3.list_objects(Bucket=self.bucket, Marker=first["NextMarker"], Delimiter="/", MaxKeys=2)
        self.assertEqual([p["Prefix"] for p in second["CommonPrefixes"]], ["a/", "b/"])

    def test_url_encoding(self):
        # Asked for explicitly, encoding-type=url reaches the caller undecoded by botocore
        # (which otherwise asks for it itself and decodes, as the other listings here show).
        raw = self.s3.list_objects_v2(Bucket=self.bucket, Prefix="d", EncodingType="url")
        self.assertEqual([o["Key"] for o in raw["Contents"]], ["d%20e%2Bf%25.txt"])
        self.assertEqual(raw["EncodingType"], "url")

    def test_object_versions(self):
        paginator = self.s3.get_paginator("list_object_versions")
        pages = list(paginator.paginate(Bucket=self.bucket, PaginationConfig={"PageSize": 10}))
        versions = [v for page in pages for v in page.get("Versions", [])]
        self.assertEqual([v["Key"] for v in versions], sorted(self.keys, key=lambda k: k.encode()))
        self.assertTrue(all(v["VersionId"] == "null" and v["IsLatest"] for v in versions))


class MultipartTests(S3TestCase):
    bucket = "multipart"

    def test_upload_list_complete(self):
        key = "big/object.bin"
        upload = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key, ContentType="application/x-big", Metadata={"m": "v"})
        upload_id = upload["UploadId"]
        uploads = self.s3.list_multipart_uploads(Bucket=self.bucket)["Uploads"]
        self.assertIn((key, upload_id), [(u["Key"], u["UploadId"]) for u in uploads])
        bodies = [os.urandom(5 * MIB), os.urandom(5 * MIB + 3), os.urandom(1234)]
        etags = []
        for number, body in enumerate(bodies, start=1):
            part = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=number, Body=body)
            self.assertEqual(part["ETag"], '"%s"' % hashlib.md5(body).hexdigest())
            etags.append(part["ETag"])
        # A part uploaded again replaces the earlier one.
        bodies[2] = b"replaced last part"
        etags[2] = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=3, Body=bodies[2])["ETag"]
        parts = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id)["Parts"]
        self.assertEqual([(p["PartNumber"], p["ETag"], p["Size"]) for p in parts], [(i + 1, etags[i], len(bodies[i])) for i in range(3)])
        page = self.s3.list_parts(Bucket=self.bucket, Key=key, UploadId=upload_id, MaxParts=2)
        self.assertTrue(page["IsTruncated"])
        self.assertEqual(page["NextPartNumberMarker"], 2)
        # The object appears only once the upload completes.
        self.assertMissing(key)
        done = self.s3.complete_multipart_upload(
            Bucket=self.bucket,
            Key=key,
            UploadId=upload_id,
            MultipartUpload={"Parts": [{"PartNumber": i + 1, "ETag": etags[i]} for i in range(3)]},
        )
        expected = hashlib.md5(b"".join(hashlib.md5(b).digest() for b in bodies)).hexdigest() + "-3"
        self.assertEqual(done["ETag"], '"%s"' % expected)
        got = self.s3.get_object(Bucket=self.bucket, Key=key)
        self.assertEqual(got["Body"].read(), b"".join(bodies))
        self.assertEqual(got["ETag"], '"%s"' % expected)
        self.assertEqual(got["ContentType"], "application/x-big")
        self.assertEqual(got["Metadata"], {"m": "v"})
        self.assertNotIn(upload_id, [u["UploadId"] for u in self.s3.list_multipart_uploads(Bucket=self.bucket).get("Uploads", [])])
        self.assertError("NoSuchUpload", 404, self.s3.list_parts, Bucket=self.bucket, Key=key, UploadId=upload_id)

    def test_s3_rules_are_enforced(self):
        key = "rules"
        upload_id = self.s3.create_multipart_upload(Bucket=self.bucket, Key=key)["UploadId"]
        small = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"small")["ETag"]
        last = self.s3.upload_part(Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=2, Body=b"last")["ETag"]
        complete = lambda parts: self.s3.complete_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id, MultipartUpload={"Parts": parts})
        self.assertError("EntityTooSmall", 400, complete, [{"PartNumber": 1, "ETag": small}, {"PartNumber": 2, "ETag": last}])
        self.assertError("InvalidPartOrder", 400, complete, [{"PartNumber": 2, "ETag": last}, {"PartNumber": 1, "ETag": small}])
        self.assertError("InvalidPart", 400, complete, [{"PartNumber": 1, "ETag": '"%s"' % ("0" * 32)}])
        self.assertError("InvalidPart", 400, complete, [{"PartNumber": 7, "ETag": small}])
        self.s3.abort_multipart_upload(Bucket=self.bucket, Key=key, UploadId=upload_id)
        self.assertError("NoSuchUpload", 404, self.s3.upload_part, Bucket=self.bucket, Key=key, UploadId=upload_id, PartNumber=1, Body=b"x")
        self.assertError("NoSuchUpload", 404, self.s3.abort_multipart_upload, Bucket=self.bucket, Key=key, UploadId=upload_id)
        self.assertMissing(key)

    def test_transfer_manager(self):
        # boto3's managed transfers: multipart above the threshold, ranged parallel downloads.
        import io
        from boto3.s3.transfer import TransferConfig

        body = os.urandom(12 * MIB + 5)
        config = TransferConfig(multipart_threshold=5 * MIB, multipart_chunksize=5 * MIB, max_concurrency=2)
        self.s3.upload_fileobj(io.BytesIO(body), self.bucket, "managed.bin", Config=config)
        etag = self.s3.head_object(Bucket=self.bucket, Key="managed.bin")["ETag"]
        self.assertTrue(etag.endswith('-3"'), etag)
        out = io.BytesIO()
        self.s3.download_fileobj(self.bucket, "managed.bin", out, Config=config)
        self.assertEqual(out.getvalue(), body)


class PresignTests(S3TestCase):
    bucket = "presigned"

    def test_presigned_put_and_get(self):
        url = self.s3.generate_presigned_url("put_object", Params={"Bucket": self.bucket, "Key": "p/file.txt"}, ExpiresIn=300)
        self.assertEqual(put_url(url, b"presigned body"), 200)
        get_url = self.s3.generate_presigned_url("get_object", Params={"Bucket": self.bucket, "Key": "p/file.txt"}, ExpiresIn=300)
        self.assertEqual(fetch(get_url)[1], b"presigned body")


class RootPortTests(unittest.TestCase):
    @unittest.skipUnless(ROOT_ENDPOINT, "no S3 port")
    def test_the_s3_port_serves_the_same_buckets(self):
        web = client()
        root = client(endpoint=ROOT_ENDPOINT)
        web.create_bucket(Bucket="rootport")
        root.put_object(Bucket="rootport", Key="via/root", Body=b"root port")
        self.assertEqual(web.get_object(Bucket="rootport", Key="via/root")["Body"].read(), b"root port")
        self.assertIn("rootport", [b["Name"] for b in root.list_buckets()["Buckets"]])


class VirtualHostTests(unittest.TestCase):
    @unittest.skipUnless(VHOST_PORT, "no virtual host domain")
    def test_the_host_names_the_bucket(self):
        # bucket.localhost does not resolve here: boto3 signs for that Host, and the request
        # goes to 127.0.0.1 with the Host header kept.
        s3 = boto3.client(
            "s3",
            endpoint_url="http://localhost:%s" % VHOST_PORT,
            aws_access_key_id=ACCESS_KEY,
            aws_secret_access_key=SECRET_KEY,
            region_name="us-east-1",
            config=Config(s3={"addressing_style": "virtual"}, retries={"max_attempts": 1}),
        )

        def to_loopback(request, **kwargs):
            host = request.url.split("/")[2]
            request.headers["Host"] = host
            request.url = request.url.replace("//" + host, "//127.0.0.1:%s" % VHOST_PORT, 1)

        s3.meta.events.register("before-send.s3", to_loopback)
        client().create_bucket(Bucket="vhost")
        s3.put_object(Bucket="vhost", Key="dir/v.txt", Body=b"virtual host")
        self.assertEqual(s3.get_object(Bucket="vhost", Key="dir/v.txt")["Body"].read(), b"virtual host")
        self.assertEqual([o["Key"] for o in s3.list_objects_v2(Bucket="vhost")["Contents"]], ["dir/v.txt"])
        self.assertEqual(client().get_object(Bucket="vhost", Key="dir/v.txt")["Body"].read(), b"virtual host")


class OpenAccessTests(unittest.TestCase):
    @unittest.skipUnless(SCENARIO == "open", "credentials are configured")
    def test_any_key_and_anonymous_requests_work(self):
        for key, secret in [("alice", "one"), ("bob", "two")]:
            s3 = client(access_key=key, secret_key=secret)
            s3.create_bucket(Bucket="open-%s" % key)
            s3.put_object(Bucket="open-%s" % key, Key="k", Body=key.encode())
            self.assertEqual(client(access_key="carol", secret_key="x").get_object(Bucket="open-%s" % key, Key="k")["Body"].read(), key.encode())
        anonymous = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1", config=Config(signature_version=botocore.UNSIGNED))
        self.assertEqual(anonymous.get_object(Bucket="open-alice", Key="k")["Body"].read(), b"alice")
        # Each key is a user of the cluster: dave may read alice's bucket, not write or delete in it.
        sigv2 = client(access_key="dave", secret_key="y", signature_version="s3")
        for change in [
            lambda: sigv2.put_object(Bucket="open-alice", Key="v2", Body=b"sigv2"),
            lambda: sigv2.delete_object(Bucket="open-alice", Key="k"),
        ]:
            with self.assertRaises(ClientError) as caught:
                change()
            self.assertEqual(error_code(caught.exception), "AccessDenied")
            self.assertEqual(status(caught.exception), 403)
        self.assertEqual(sigv2.get_object(Bucket="open-alice", Key="k")["Body"].read(), b"alice")
        sigv2.create_bucket(Bucket="open-dave")
        sigv2.put_object(Bucket="open-dave", Key="v2", Body=b"sigv2")
        self.assertEqual(sigv2.get_object(Bucket="open-dave", Key="v2")["Body"].read(), b"sigv2")
        # Multipart uploads are written and placed as their user too, and are theirs alone.
        bob = client(access_key="bob", secret_key="two")
        alice = client(access_key="alice", secret_key="one")
        upload = bob.create_multipart_upload(Bucket="open-alice", Key="parts")["UploadId"]
        etag = bob.upload_part(Bucket="open-alice", Key="parts", UploadId=upload, PartNumber=1, Body=b"bob's")["ETag"]
        for meddling in [
            lambda: alice.upload_part(Bucket="open-alice", Key="parts", UploadId=upload, PartNumber=1, Body=b"x"),
            lambda: alice.list_parts(Bucket="open-alice", Key="parts", UploadId=upload),
            lambda: alice.abort_multipart_upload(Bucket="open-alice", Key="parts", UploadId=upload),
        ]:
            with self.assertRaises(ClientError) as caught:
                meddling()
            self.assertEqual(error_code(caught.exception), "AccessDenied")
        with self.assertRaises(ClientError) as caught:
            bob.complete_multipart_upload(Bucket="open-alice", Key="parts", UploadId=upload,
                                          MultipartUpload={"Parts": [{"ETag": etag, "PartNumber": 1}]})
        self.assertEqual(error_code(caught.exception), "AccessDenied")
        bob.abort_multipart_upload(Bucket="open-alice", Key="parts", UploadId=upload)
        alice.delete_object(Bucket="open-alice", Key="k")
        self.assertNotIn("Contents", client().list_objects_v2(Bucket="open-alice"))
        with self.assertRaises(ClientError) as caught:
            sigv2.delete_bucket(Bucket="open-alice")
        self.assertEqual(error_code(caught.exception), "AccessDenied")
        alice.delete_bucket(Bucket="open-alice")


class AuthTests(unittest.TestCase):
    @unittest.skipUnless(SCENARIO == "auth", "no credentials are configured")
    def test_only_the_configured_key_pair_is_accepted(self):
        s3 = client()
        s3.create_bucket(Bucket="secured")
        s3.put_object(Bucket="secured", Key="k", Body=b"signed")
        self.assertEqual(s3.get_object(Bucket="secured", Key="k")["Body"].read(), b"signed")
        # boto3 presigns with SigV2 by default; SigV4 presigning is asked for.
        for signer in [s3, client(signature_version="s3v4")]:
            url = signer.generate_presigned_url("get_object", Params={"Bucket": "secured", "Key": "k"}, ExpiresIn=60)
            self.assertEqual(fetch(url)[1], b"signed")
            url = signer.generate_presigned_url("put_object", Params={"Bucket": "secured", "Key": "up"}, ExpiresIn=60)
            self.assertEqual(put_url(url, b"up"), 200)
        self.assertEqual(s3.get_object(Bucket="secured", Key="up")["Body"].read(), b"up")

        wrong = client(secret_key=SECRET_KEY + "x")
        with self.assertRaises(ClientError) as caught:
            wrong.get_object(Bucket="secured", Key="k")
        self.assertEqual(error_code(caught.exception), "SignatureDoesNotMatch")
        self.assertEqual(status(caught.exception), 403)
        with self.assertRaises(ClientError) as caught:
            wrong.put_object(Bucket="secured", Key="forged", Body=b"forged")
        self.assertEqual(error_code(caught.exception), "SignatureDoesNotMatch")

        for signer in [wrong, client(secret_key=SECRET_KEY + "x", signature_version="s3v4")]:
            bad_url = signer.generate_presigned_url("get_object", Params={"Bucket": "secured", "Key": "k"}, ExpiresIn=60)
            with self.assertRaises(urllib.error.HTTPError) as caught:
                urllib.request.urlopen(bad_url)
            self.assertEqual(caught.exception.code, 403)
            self.assertIn(b"SignatureDoesNotMatch", caught.exception.read())

        # The other configured key is another user: it cannot delete this one's object.
        other = client(access_key="confkey", secret_key="confsecret")
        with self.assertRaises(ClientError) as caught:
            other.delete_object(Bucket="secured", Key="k")
        self.assertEqual(error_code(caught.exception), "AccessDenied")
        # Nor rewrite its metadata by copying it onto itself.
        with self.assertRaises(ClientError) as caught:
            other.copy_object(Bucket="secured", Key="k", CopySource={"Bucket": "secured", "Key": "k"},
                              MetadataDirective="REPLACE", ContentType="text/forged")
        self.assertEqual(error_code(caught.exception), "AccessDenied")
        self.assertEqual(other.get_object(Bucket="secured", Key="k")["Body"].read(), b"signed")
        self.assertNotEqual(s3.head_object(Bucket="secured", Key="k").get("ContentType"), "text/forged")

        unknown = client(access_key="mallory")
        with self.assertRaises(ClientError) as caught:
            unknown.list_buckets()
        self.assertEqual(error_code(caught.exception), "InvalidAccessKeyId")

        anonymous = boto3.client("s3", endpoint_url=ENDPOINT, region_name="us-east-1", config=Config(signature_version=botocore.UNSIGNED))
        with self.assertRaises(ClientError) as caught:
            anonymous.get_object(Bucket="secured", Key="k")
        self.assertEqual(error_code(caught.exception), "AccessDenied")
        self.assertNotIn("forged", [o["Key"] for o in s3.list_objects_v2(Bucket="secured").get("Contents", [])])


if __name__ == "__main__":
    unittest.main(verbosity=2)
