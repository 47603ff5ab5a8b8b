import { createHash, randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local S3-compatible store with path-style URLs (`/bucket/key`) that speaks what the AWS
 * SDK's PutObject and multipart upload (lib-storage's `Upload`) send: PutObject,
 * CreateMultipartUpload (`POST ?uploads`), UploadPart (`PUT ?partNumber&uploadId`),
 * CompleteMultipartUpload (`POST ?uploadId`) and AbortMultipartUpload (`DELETE ?uploadId`).
 * Requests must carry a SigV4 Authorization header for the stub's access key (the signature
 * itself is not recomputed). `aws-chunked` bodies are decoded. Objects stay in memory.
 */

export interface S3Stub {
  url: string;
  accessKeyId: string;
  secretAccessKey: string;
  objects: Map<string, Buffer>;
  /** Every request, `METHOD /path?query`, for tests that check the API calls made. */
  requests: string[];
  /** Largest request body received, to show an upload came in parts. */
  largestBodyBytes(): number;
  close(): Promise<void>;
}

const xml = (res: ServerResponse, status: number, body: string) => {
  res.writeHead(status, { 'content-type': 'application/xml' });
  res.end(`<?xml version="1.0" encoding="UTF-8"?>\n${body}`);
};

const s3Error = (res: ServerResponse, status: number, code: string, message: string) =>
  xml(res, status, `<Error><Code>${code}</Code><Message>${message}</Message></Error>`);

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `aws-chunked`: `<hex size>[;chunk-signature=…]\r\n<data>\r\n` … `0\r\n<trailers>\r\n\r\n`. */
function decodeAwsChunked(raw: Buffer): Buffer {
  const out: Buffer[] = [];
  let at = 0;
  for (;;) {
    const eol = raw.indexOf('\r\n', at);
    const size = parseInt(raw.subarray(at, eol).toString().split(';')[0]!, 16);
    if (!size) break;
    out.push(raw.subarray(eol + 2, eol + 2 + size));
    at = eol + 2 + size + 2;
  }
  return Buffer.concat(out);
}

const etag = (b: Buffer) => `"${createHash('md5').update(b).digest('hex')}"`;

export async function startS3Stub(
  opts: { accessKeyId?: string; secretAccessKey?: string; buckets?: string[] } = {},
): Promise<S3Stub> {
  const accessKeyId = opts.accessKeyId ?? 'AKIASTUBEXPORTS00001';
  const secretAccessKey = opts.secretAccessKey ?? randomUUID();
  const buckets = new Set(opts.buckets ?? ['exports']);
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();
  const requests: string[] = [];
  let largest = 0;

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://stub');
      requests.push(`${req.method} ${url.pathname}${url.search}`);
      const auth = req.headers.authorization ?? '';
      if (!auth.startsWith('AWS4-HMAC-SHA256 ') || !auth.includes(`Credential=${accessKeyId}/`)) {
        return s3Error(res, 403, 'InvalidAccessKeyId', 'The AWS Access Key Id you provided does not exist.');
      }
      const [, bucket, ...rest] = url.pathname.split('/');
      const key = decodeURIComponent(rest.join('/'));
      if (!bucket || !buckets.has(bucket)) return s3Error(res, 404, 'NoSuchBucket', 'The bucket does not exist.');
      let body = await readBody(req);
      if (String(req.headers['content-encoding'] ?? '').includes('aws-chunked')) body = decodeAwsChunked(body);
      largest = Math.max(largest, body.length);
      const q = url.searchParams;
      const objectKey = `${bucket}/${key}`;

      if (req.method === 'POST' && q.has('uploads')) {
        const uploadId = randomUUID();
        uploads.set(uploadId, { key: objectKey, parts: new Map() });
        return xml(
          res,
          200,
          `<InitiateMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`,
        );
      }
      const uploadId = q.get('uploadId');
      if (uploadId !== null) {
        const upload = uploads.get(uploadId);
        if (!upload || upload.key !== objectKey) return s3Error(res, 404, 'NoSuchUpload', 'No such upload.');
        if (req.method === 'PUT') {
          const part = body;
          upload.parts.set(Number(q.get('partNumber')), part);
          res.writeHead(200, { etag: etag(part) });
          return res.end();
        }
        if (req.method === 'POST') {
          const numbers = [...body.toString().matchAll(/<PartNumber>(\d+)<\/PartNumber>/g)].map((m) => Number(m[1]));
          if (numbers.length === 0 || numbers.some((n) => !upload.parts.has(n))) {
            return s3Error(res, 400, 'InvalidPart', 'A listed part was not uploaded.');
          }
          const whole = Buffer.concat(numbers.map((n) => upload.parts.get(n)!));
          objects.set(objectKey, whole);
          uploads.delete(uploadId);
          return xml(
            res,
            200,
            `<CompleteMultipartUploadResult><Bucket>${bucket}</Bucket><Key>${key}</Key><ETag>${etag(whole)}</ETag></CompleteMultipartUploadResult>`,
          );
        }
        if (req.method === 'DELETE') {
          uploads.delete(uploadId);
          res.writeHead(204);
          return res.end();
        }
      }
      if (req.method === 'PUT') {
        objects.set(objectKey, body);
        res.writeHead(200, { etag: etag(body) });
        return res.end();
      }
      if (req.method === 'GET' && objects.has(objectKey)) {
        res.writeHead(200, { 'content-type': 'application/octet-stream' });
        return res.end(objects.get(objectKey));
      }
      return s3Error(res, 404, 'NoSuchKey', 'The specified key does not exist.');
    })().catch((err: unknown) => s3Error(res, 500, 'InternalError', String(err)));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    accessKeyId,
    secretAccessKey,
    objects,
    requests,
    largestBodyBytes: () => largest,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
