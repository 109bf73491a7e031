import type { ListedObject, ObjectStorage, RequestOptions } from './object-storage.js';

/**
 * Every page of objects under the prefix (1,000 keys a request), in key order: the next request goes
 * out only when the caller asks for the next page, so a listing never runs ahead of its reader.
 */
export async function* listObjectPages(
  storage: ObjectStorage,
  bucket: string,
  prefix = '',
  options?: RequestOptions,
): AsyncGenerator<ListedObject[], void, undefined> {
  let token: string | undefined;
  do {
    const page = await untilAborted(storage.listObjectsPage(bucket, prefix, token, options), options?.signal);
    yield page.objects;
    token = page.next;
  } while (token !== undefined);
}

/** Every object under the prefix, in key order. */
export async function listObjects(storage: ObjectStorage, bucket: string, prefix = '', options?: RequestOptions): Promise<ListedObject[]> {
  const objects: ListedObject[] = [];
  for await (const page of listObjectPages(storage, bucket, prefix, options)) for (const o of page) objects.push(o);
  return objects;
}

/**
 * The page, or the signal's reason as soon as it fires: ali-oss cannot cancel a request without a body,
 * and a listing held by the server must not hold a stop. A read left unread changes nothing on OSS.
 */
export function untilAborted<T>(request: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return request;
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason);
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    request.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
