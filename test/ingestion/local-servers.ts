import { ChildProcess, spawn } from 'child_process';
import * as fs from 'fs';
import * as http from 'http';
import { AddressInfo } from 'net';
import * as path from 'path';
import { ENV } from '../../src/ingestion/private/runtime-config';

/** One scripted answer of the stub API: status, body, optional headers and delay. */
export interface StubResponse {
  readonly status: number;
  readonly body: Buffer | string;
  readonly headers?: Record<string, string>;
  /** Wait this long before answering (the client should have given up by then). */
  readonly delayMs?: number;
  /**
   * Send the body in chunks of this many bytes, without a Content-Length (chunked transfer encoding), waiting for
   * the client to take each one: a client that stops reading stops the sending.
   */
  readonly chunkBytes?: number;
}

/** A request the stub received. */
export interface StubRequest {
  readonly path: string;
  readonly query: URLSearchParams;
  readonly receivedAt: number;
  /** `pending` until answered; `sent` once the whole body went out; `closed` when the client hung up first. */
  state: 'pending' | 'sent' | 'closed';
  /** Body bytes handed to the socket. */
  bytesSent: number;
  /** The request's User-Agent header. */
  readonly userAgent?: string;
}

export function fixture(name: string): Buffer {
  return fs.readFileSync(path.join(__dirname, 'fixtures', name));
}

/**
 * An HTTP server on 127.0.0.1 that plays Open-Meteo: each latitude has a script of responses, one per attempt
 * (the last one repeats). It records every request and the largest number of requests in flight at once.
 */
export class StubWeatherApi {
  public readonly requests: StubRequest[] = [];
  public maxInFlight = 0;
  private inFlight = 0;
  private readonly scripts = new Map<string, StubResponse[]>();
  private readonly server: http.Server;
  private readonly timers = new Set<NodeJS.Timeout>();

  constructor() {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  public get baseUrl(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  public async stop(): Promise<void> {
    this.timers.forEach(clearTimeout);
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  /** Scripts the answers for requests whose `latitude` is `latitude`. */
  public script(latitude: number, responses: StubResponse[]): void {
    this.scripts.set(String(latitude), responses);
  }

  public reset(): void {
    this.requests.length = 0;
    this.maxInFlight = 0;
  }

  public hits(latitude: number): StubRequest[] {
    return this.requests.filter((r) => (r.query.get('latitude') ?? r.query.get('lat')) === String(latitude));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://stub');
    // Open-Meteo names it `latitude`, MET Norway `lat`.
    const latitude = url.searchParams.get('latitude') ?? url.searchParams.get('lat') ?? '';
    const previous = this.requests.filter((r) => (r.query.get('latitude') ?? r.query.get('lat')) === latitude).length;
    const record: StubRequest = {
      path: url.pathname, query: url.searchParams, receivedAt: Date.now(), state: 'pending', bytesSent: 0, userAgent: req.headers['user-agent'],
    };
    this.requests.push(record);
    res.on('close', () => {
      if (record.state === 'pending') record.state = 'closed';
    });
    const script = this.scripts.get(latitude);
    const answer: StubResponse = script === undefined
      ? { status: 404, body: '{"error":true,"reason":"no stub for this latitude"}' }
      : script[Math.min(previous, script.length - 1)];
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    const send = () => {
      this.inFlight--;
      if (res.destroyed) return;
      const body = typeof answer.body === 'string' ? Buffer.from(answer.body) : answer.body;
      if (answer.chunkBytes === undefined) {
        res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', 'content-length': body.length, ...answer.headers });
        record.bytesSent = body.length;
        res.end(body, () => { record.state = 'sent'; });
        return;
      }
      res.writeHead(answer.status, { 'content-type': 'application/json; charset=utf-8', ...answer.headers });
      const chunk = answer.chunkBytes;
      const pump = () => {
        while (!res.destroyed && record.bytesSent < body.length) {
          const piece = body.subarray(record.bytesSent, record.bytesSent + chunk);
          record.bytesSent += piece.length;
          if (!res.write(piece)) {
            res.once('drain', pump);
            return;
          }
        }
        if (!res.destroyed) res.end(() => { record.state = 'sent'; });
      };
      pump();
    };
    if (answer.delayMs) {
      const timer = setTimeout(() => { this.timers.delete(timer); send(); }, answer.delayMs);
      this.timers.add(timer);
    } else {
      send();
    }
  }
}

/** A moto S3 server on a free loopback port (from the project virtualenv made by `scripts/python-env`). */
export class MotoS3 {
  private process?: ChildProcess;
  public port = 0;

  public get endpoint(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  public async start(): Promise<void> {
    const binary = path.join(__dirname, '..', '..', '.venv', 'bin', 'moto_server');
    if (!fs.existsSync(binary)) {
      throw new Error(`${binary} is missing: run scripts/python-env first`);
    }
    this.port = await freePort();
    this.process = spawn(binary, ['-H', '127.0.0.1', '-p', String(this.port)], { stdio: 'ignore' });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      if (this.process.exitCode !== null) {
        throw new Error(`moto_server exited with code ${this.process.exitCode}`);
      }
      try {
        const res = await fetch(`${this.endpoint}/moto-api/`);
        await res.arrayBuffer();
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error('moto_server did not start within 30 s');
  }

  public async stop(): Promise<void> {
    const child = this.process;
    if (child === undefined || child.exitCode !== null) return;
    await new Promise<void>((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
  }
}

async function freePort(): Promise<number> {
  const server = http.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** What `FaultyS3Proxy` does with one request: pass it on, never answer it, or answer it with an S3 error. */
export type S3Fault = 'pass' | 'stall' | { readonly status: number; readonly code: string; readonly message: string };

/** A request `FaultyS3Proxy` held without answering. */
export interface StalledRequest {
  readonly method: string;
  readonly path: string;
  /** True once the client gave up on it and closed its connection. */
  closedByClient: boolean;
}

/**
 * An HTTP proxy on 127.0.0.1 in front of an S3 API (moto): `fault` decides, per request, to pass it on, to hold it
 * forever (a stalled write) or to answer with an S3 error document.
 */
export class FaultyS3Proxy {
  public readonly stalled: StalledRequest[] = [];
  private readonly server: http.Server;

  constructor(private readonly target: () => string) {
    this.server = http.createServer((req, res) => this.handle(req, res));
  }

  /** What to do with a request: pass it on unless told otherwise. */
  public fault: (method: string, path: string) => S3Fault = () => 'pass';

  public get endpoint(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  public async start(): Promise<void> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
  }

  public async stop(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }

  public reset(): void {
    this.fault = () => 'pass';
    this.stalled.length = 0;
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const method = req.method ?? 'GET';
    const fault = this.fault(method, decodeURIComponent(req.url ?? '/'));
    if (fault === 'stall') {
      const record: StalledRequest = { method, path: decodeURIComponent(req.url ?? '/'), closedByClient: false };
      this.stalled.push(record);
      req.resume();
      res.on('close', () => { record.closedByClient = true; });
      return;
    }
    if (fault !== 'pass') {
      req.resume();
      const xml = `<?xml version="1.0" encoding="UTF-8"?><Error><Code>${fault.code}</Code><Message>${fault.message}</Message></Error>`;
      res.writeHead(fault.status, { 'content-type': 'application/xml', 'content-length': Buffer.byteLength(xml) });
      res.end(xml);
      return;
    }
    const upstream = http.request(`${this.target()}${req.url}`, { method, headers: req.headers }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    upstream.on('error', () => res.destroy());
    req.pipe(upstream);
  }
}

/**
 * The environment the ingestion handler runs with in these tests: dummy AWS credentials, S3 at `s3Endpoint` (path
 * style), Open-Meteo (forecast and archive) at `apiBaseUrl`, 1 past and 2 forecast days, backoff of 10 to 50 ms.
 * Each test file adds its own timeouts, attempts, concurrency and sources.
 */
export function handlerTestEnv(s3Endpoint: string, apiBaseUrl: string, bucket: string): Record<string, string> {
  return {
    AWS_ACCESS_KEY_ID: 'testing',
    AWS_SECRET_ACCESS_KEY: 'testing',
    AWS_SESSION_TOKEN: 'testing',
    AWS_REGION: 'us-east-1',
    AWS_EC2_METADATA_DISABLED: 'true',
    AWS_ENDPOINT_URL_S3: s3Endpoint,
    AWS_S3_FORCE_PATH_STYLE: 'true',
    [ENV.bucket]: bucket,
    [ENV.apiBaseUrl]: apiBaseUrl,
    [ENV.archiveApiBaseUrl]: apiBaseUrl,
    [ENV.pastDays]: '1',
    [ENV.forecastDays]: '2',
    [ENV.backoffBaseMs]: '10',
    [ENV.backoffMaxMs]: '50',
  };
}
