"""The proxy's S3 API driven by the aws CLI, as its users run it.

Run by crates/proxy/tests/s3_awscli.rs with S3_ENDPOINT (http://127.0.0.1:PORT/api/v1/s3),
AWS_ACCESS_KEY_ID / AWS_SECRET_ACCESS_KEY / AWS_DEFAULT_REGION and AWS_CONFIG_FILE set.
"""

import filecmp
import hashlib
import json
import os
import subprocess
import sys
import tempfile

ENDPOINT = os.environ["S3_ENDPOINT"]
MIB = 1 << 20


def aws(*args):
    command = ["aws", "--endpoint-url", ENDPOINT] + list(args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0:
        sys.exit("%s failed (%d):\n%s\n%s" % (" ".join(command), done.returncode, done.stdout, done.stderr))
    return done.stdout


def expect(condition, message):
    if not condition:
        sys.exit("FAILED: " + message)


def main():
    work = tempfile.mkdtemp()
    aws("s3", "mb", "s3://cli")

    # cp up and down: 20 MiB goes up in parts (8 MiB parts by default).
    big = os.path.join(work, "big.bin")
    with open(big, "wb") as out:
        out.write(os.urandom(20 * MIB + 11))
    aws("s3", "cp", big, "s3://cli/data/big.bin")
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli", "--key", "data/big.bin"))
    expect(head["ContentLength"] == 20 * MIB + 11, "head-object length: %s" % head)
    expect(head["ETag"].endswith('-3"'), "a multipart ETag: %s" % head["ETag"])
    back = os.path.join(work, "back.bin")
    aws("s3", "cp", "s3://cli/data/big.bin", back)
    expect(filecmp.cmp(big, back, shallow=False), "the downloaded file differs")

    # sync a tree up, and back down into an empty directory.
    tree = os.path.join(work, "tree")
    for name in ["a.txt", "sub/b.txt", "sub/deeper/c.txt", "with space.txt"]:
        path = os.path.join(tree, name)
        os.makedirs(os.path.dirname(path), exist_ok=True)
        with open(path, "w") as out:
            out.write("content of " + name)
    aws("s3", "sync", tree, "s3://cli/tree")
    listing = aws("s3", "ls", "--recursive", "s3://cli/tree/")
    for name in ["a.txt", "sub/b.txt", "sub/deeper/c.txt", "with space.txt"]:
        expect("tree/" + name in listing, "%s missing from:\n%s" % (name, listing))
    top = aws("s3", "ls", "s3://cli/tree/")
    expect("PRE sub/" in top and "a.txt" in top, "ls shows prefixes and objects:\n" + top)
    # A second sync has nothing to do.
    expect(aws("s3", "sync", tree, "s3://cli/tree").strip() == "", "the second sync uploaded again")
    down = os.path.join(work, "down")
    aws("s3", "sync", "s3://cli/tree", down)
    comparison = filecmp.dircmp(tree, down)
    expect(not comparison.left_only and not comparison.right_only and not comparison.diff_files, "sync down differs")
    expect(filecmp.cmp(os.path.join(tree, "sub/deeper/c.txt"), os.path.join(down, "sub/deeper/c.txt"), shallow=False), "c.txt differs")
    buckets = aws("s3", "ls")
    expect("cli" in buckets, "s3 ls lists the bucket:\n" + buckets)

    # s3api calls.
    small = os.path.join(work, "small.txt")
    with open(small, "w") as out:
        out.write("small object")
    put = json.loads(aws("s3api", "put-object", "--bucket", "cli", "--key", "api/small.txt", "--body", small, "--content-type", "text/plain", "--metadata", "k=v"))
    expect(put["ETag"] == '"%s"' % hashlib.md5(b"small object").hexdigest(), "put-object ETag: %s" % put)
    head = json.loads(aws("s3api", "head-object", "--bucket", "cli", "--key", "api/small.txt"))
    expect(head["ContentType"] == "text/plain" and head["Metadata"] == {"k": "v"}, "head-object: %s" % head)
    listed = json.loads(aws("s3api", "list-objects-v2", "--bucket", "cli", "--prefix", "tree/sub/", "--delimiter", "/"))
    expect([o["Key"] for o in listed["Contents"]] == ["tree/sub/b.txt"], "list-objects-v2: %s" % listed)
    expect([p["Prefix"] for p in listed["CommonPrefixes"]] == ["tree/sub/deeper/"], "prefixes: %s" % listed)

    # rm --recursive empties the bucket, which can then go.
    aws("s3", "rm", "--recursive", "s3://cli/tree")
    rest = aws("s3", "ls", "--recursive", "s3://cli/")
    expect("tree/" not in rest, "rm --recursive left:\n" + rest)
    aws("s3", "rm", "--recursive", "s3://cli/")
    aws("s3", "rb", "s3://cli")
    expect("cli" not in aws("s3", "ls"), "the bucket is still listed")

    # One more bucket for the Rust side to inspect through Alluxio.
    aws("s3", "mb", "s3://clikeep")
    aws("s3", "cp", small, "s3://clikeep/kept/small.txt")
    print("aws CLI scenario passed")


if __name__ == "__main__":
    main()
