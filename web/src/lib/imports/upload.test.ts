import { describe, expect, it, vi } from 'vitest';
import { ApiError, SessionExpired } from '../api.ts';
import { uploadFile } from './upload.ts';

/** A stand-in XMLHttpRequest answering with the next status and body. */
function fakeXhr(
  answers: { status: number; body: unknown }[],
  sent: { url: string; headers: Record<string, string> }[],
) {
  return () => {
    const headers: Record<string, string> = {};
    let url = '';
    const xhr = {
      status: 0,
      responseText: '',
      upload: { onprogress: null as ((e: ProgressEvent) => void) | null },
      onload: null as (() => void) | null,
      onerror: null as (() => void) | null,
      open: (_m: string, u: string) => (url = u),
      setRequestHeader: (k: string, v: string) => (headers[k] = v),
      send: () => {
        sent.push({ url, headers });
        xhr.upload.onprogress?.({ lengthComputable: true, loaded: 5, total: 10 } as ProgressEvent);
        const answer = answers.shift()!;
        xhr.status = answer.status;
        xhr.responseText = JSON.stringify(answer.body);
        queueMicrotask(() => xhr.onload?.());
      },
    };
    return xhr as unknown as XMLHttpRequest;
  };
}

const file = new File(['external_id\nC-1\n'], 'customers.csv', { type: 'text/csv' });

describe('CSV upload', () => {
  it('reports progress and sends the CSRF header and the file name', async () => {
    const sent: { url: string; headers: Record<string, string> }[] = [];
    const progress: number[] = [];
    const report = await uploadFile(
      {
        csrfToken: () => 'tok',
        refreshSession: async () => true,
        onSessionLost: () => {},
        createRequest: fakeXhr([{ status: 201, body: { id: 'i1' } }], sent),
      },
      '/api/imports/customers',
      file,
      (f) => progress.push(f),
    );
    expect(report).toEqual({ id: 'i1' });
    expect(progress).toEqual([0.5]);
    expect(sent[0]).toEqual({
      url: '/api/imports/customers?filename=customers.csv',
      headers: { 'content-type': 'text/csv', accept: 'application/json', 'x-csrf-token': 'tok' },
    });
  });

  it('refreshes an expired session and sends the file again', async () => {
    const sent: { url: string; headers: Record<string, string> }[] = [];
    const refreshSession = vi.fn(async () => true);
    const report = await uploadFile(
      {
        csrfToken: () => 'tok',
        refreshSession,
        onSessionLost: () => {},
        createRequest: fakeXhr(
          [
            { status: 401, body: {} },
            { status: 201, body: { id: 'i2' } },
          ],
          sent,
        ),
      },
      '/api/imports/orders',
      file,
      () => {},
    );
    expect(report).toEqual({ id: 'i2' });
    expect(refreshSession).toHaveBeenCalledTimes(1);
    expect(sent).toHaveLength(2);
  });

  it('gives back a failed import’s report, and a problem otherwise', async () => {
    const deps = (answers: { status: number; body: unknown }[]) => ({
      csrfToken: () => undefined,
      refreshSession: async () => false,
      onSessionLost: vi.fn(),
      createRequest: fakeXhr(answers, []),
    });
    expect(
      await uploadFile(deps([{ status: 422, body: { id: 'i3', status: 'failed' } }]), '/x', file, () => {}),
    ).toEqual({
      id: 'i3',
      status: 'failed',
    });
    await expect(
      uploadFile(deps([{ status: 415, body: { title: 'Unsupported Media Type', status: 415 } }]), '/x', file, () => {}),
    ).rejects.toBeInstanceOf(ApiError);
    const lost = deps([{ status: 401, body: {} }]);
    await expect(uploadFile(lost, '/x', file, () => {})).rejects.toBeInstanceOf(SessionExpired);
    expect(lost.onSessionLost).toHaveBeenCalledTimes(1);
  });
});
