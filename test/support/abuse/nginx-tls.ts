/**
 * nginx terminating TLS in front of a Node edge server, as docs/deployment.md runs it: the
 * configuration `nginxFrontConfig` generates (what `main.ts --nginx-config` prints), listening with
 * `ssl` and a self-signed certificate made by openssl for 127.0.0.1. `request` speaks HTTPS to it,
 * trusting that certificate, from a chosen loopback address (127.0.0.2, 127.0.0.3, ...) so each client
 * is its own network source.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { request as httpsRequest } from 'node:https';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { nginxFrontConfig } from '../../../edge-server/adapters/node/nginx-front.ts';
import { freePort } from '../free-port.ts';

const NGINX = process.env.NGINX_PATH ?? '/usr/sbin/nginx';

export interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
}

export interface NginxTls {
  /** `https://127.0.0.1:port` */
  url: string;
  /** One HTTPS request through nginx from loopback address `from` (default 127.0.0.1). */
  request(path: string, init?: { method?: string; headers?: Record<string, string>; body?: string; from?: string }): Promise<Answer>;
  stop(): Promise<void>;
}

export async function startNginxTls(options: { storeDir: string; upstream: string }): Promise<NginxTls> {
  const dir = await mkdtemp(join(tmpdir(), 'edge-recs-nginx-tls-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  const made = spawnSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { encoding: 'utf8' });
  if (made.status !== 0) throw new Error(`openssl could not make a certificate: ${made.stderr}`);
  const ca = await readFile(cert);
  const port = await freePort();
  const front = nginxFrontConfig({ storeDir: options.storeDir, upstream: options.upstream, listen: `127.0.0.1:${port} ssl` });
  await writeFile(join(dir, 'front.conf'), front);
  const temp = ['client_body', 'proxy', 'fastcgi', 'uwsgi', 'scgi'].map((name) => `${name}_temp_path ${join(dir, name)};`).join('\n  ');
  // ssl_certificate in the http context: the generated server block leaves TLS settings to the site.
  await writeFile(
    join(dir, 'nginx.conf'),
    `daemon off;\nmaster_process off;\npid ${join(dir, 'nginx.pid')};\nerror_log ${join(dir, 'error.log')} warn;\nevents {}\nhttp {\n  access_log off;\n  ${temp}\n  ssl_certificate ${cert};\n  ssl_certificate_key ${key};\n  include ${join(dir, 'front.conf')};\n}\n`,
  );
  const args = ['-p', dir, '-e', join(dir, 'error.log'), '-c', join(dir, 'nginx.conf')];
  const check = spawnSync(NGINX, ['-t', ...args], { encoding: 'utf8' });
  if (check.status !== 0) throw new Error(`nginx -t refused the configuration:\n${check.stderr}`);
  const child: ChildProcess = spawn(NGINX, args, { stdio: 'ignore' });
  const url = `https://127.0.0.1:${port}`;
  const request: NginxTls['request'] = (path, init = {}) =>
    new Promise((resolve, reject) => {
      const req = httpsRequest(`${url}${path}`, { method: init.method ?? 'GET', headers: init.headers, ca, localAddress: init.from ?? '127.0.0.1', agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d: string) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      });
      req.on('error', reject);
      req.end(init.body);
    });
  for (let i = 0; ; i++) {
    if (await request('/healthz').then((a) => a.status === 200, () => false)) break;
    if (i > 200) throw new Error(`nginx does not answer at ${url}`);
    await new Promise((r) => setTimeout(r, 25));
  }
  return {
    url,
    request,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      await rm(dir, { recursive: true, force: true });
    },
  };
}
