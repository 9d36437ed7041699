/** What a JSON client sends: a plain request any fetch-like function takes. */
export interface JsonRequestInit {
  method: string;
  headers: Record<string, string>;
  body?: string;
}

/** What it needs of the answer: a fetch Response, or workerd's through Miniflare. */
interface Answer<H> {
  status: number;
  headers: H;
  text(): Promise<string>;
}

/** How a request reaches the handler: over a socket (`fetch`), straight into an app (`app.request`), or into workerd. */
export type Send<H> = (path: string, init: JsonRequestInit) => Answer<H> | Promise<Answer<H>>;

export interface JsonRequestOptions {
  /** Sent as `Authorization: Bearer <token>` when set. */
  token?: string;
  /** Sent as JSON when set. */
  body?: unknown;
  headers?: Record<string, string>;
}

export interface JsonResponse<H = Headers> {
  status: number;
  headers: H;
  /** The body parsed as JSON; the text where it is not JSON; null where it is empty. */
  body: any; // eslint-disable-line @typescript-eslint/no-explicit-any
}

/** The tests' one JSON client: sends a JSON body with a bearer token and reads the answer. */
export function jsonClient<H = Headers>(send: Send<H>) {
  return async (method: string, path: string, options: JsonRequestOptions = {}): Promise<JsonResponse<H>> => {
    const res = await send(path, {
      method,
      headers: {
        ...(options.token ? { authorization: `Bearer ${options.token}` } : {}),
        ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}),
        ...options.headers,
      },
      body: options.body === undefined ? undefined : JSON.stringify(options.body),
    });
    const text = await res.text();
    let body: JsonResponse['body'] = null;
    try {
      body = text ? JSON.parse(text) : null;
    } catch {
      body = text;
    }
    return { status: res.status, headers: res.headers, body };
  };
}
