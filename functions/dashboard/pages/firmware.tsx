import type { Context, Hono } from 'hono';
import { asc, count, sql } from 'drizzle-orm';
import { firmwarePackages, resolvedConfigs, terminalGroups, terminals } from '../../../db/schema';
import { DomainError } from '../../domain/errors';
import { access } from '../../domain/roles';
import type { RouteTable } from '../../http/route';
import { uploadFirmware } from '../../services/firmware-upload';
import { changeContextOf, removeRecord } from '../actions';
import { CsrfField, DangerAction, Field, Table } from '../components';
import type { DashboardEnv } from '../context';
import { formOf, text } from '../form-data';
import { Page } from '../layout';
import { declarePage } from '../page-route';
import { render, seeOther } from '../render';
import { withNotice } from '../view/notices';

const UPLOAD_PATH = '/dashboard/firmware/upload';

/** Refusals of the image itself, shown next to the file field. */
const aboutTheFile = new Set(['empty_firmware', 'firmware_too_large', 'firmware_truncated']);

const size = (bytes: number) => (bytes >= 1024 * 1024 ? `${(bytes / 1024 / 1024).toFixed(1)} MiB` : bytes >= 1024 ? `${(bytes / 1024).toFixed(1)} KiB` : `${bytes} B`);

/** A field's error slot that the upload script fills (the upload is a script's request, not a form post). */
const UploadError = ({ field, id }: { field: string; id: string }) => <p class="error" data-field-error={field} id={id} hidden role={field === 'form' ? 'alert' : undefined}></p>;

async function showFirmware(c: Context<DashboardEnv>, deleteError: { id: string; sentence: string } | null = null, status = 200) {
  const { deps, viewer } = c.var;
  const orm = deps.db.orm;
  const effective = sql<string>`json_extract(${resolvedConfigs.document}, '$.firmware.id')`;
  const [packages, usedBy, assigned, groupsAssigned] = await Promise.all([
    orm.select().from(firmwarePackages).orderBy(asc(firmwarePackages.name), asc(firmwarePackages.packageVersion)).all(),
    orm.select({ id: effective, n: count() }).from(resolvedConfigs).groupBy(effective).all(),
    orm.select({ id: terminals.firmwarePackageId, n: count() }).from(terminals).groupBy(terminals.firmwarePackageId).all(),
    orm.select({ id: terminalGroups.firmwarePackageId, n: count() }).from(terminalGroups).groupBy(terminalGroups.firmwarePackageId).all(),
  ]);
  const countOf = (rows: { id: string | null; n: number }[]) => new Map(rows.map((r) => [r.id, r.n]));
  const [terminalsUsing, terminalsAssigned, groupsAssigning] = [countOf(usedBy), countOf(assigned), countOf(groupsAssigned)];
  const may = viewer.may(access.configure);
  return render(
    c,
    <Page title="Firmware packages" section="/dashboard/firmware" viewer={viewer} serverId={deps.serverId} notice={c.req.query('notice')}>
      <p>Relays fetch each package from the object store and serve it only once its size and sha256 match.</p>
      <Table caption="Firmware packages" captionHidden head={['Package', 'Size', 'sha256', 'Used by', ...(may ? ['Action'] : [])]} rows={packages.length} empty="No firmware packages yet.">
        {packages.map((p) => (
          <tr>
            <td>
              <strong>{p.name}</strong> {p.packageVersion}
              <br />
              <code class="muted">{p.objectKey}</code>
            </td>
            <td>{size(p.size)}</td>
            <td>
              <code title={p.sha256}>{p.sha256.slice(0, 16)}…</code>
            </td>
            <td>
              <a href={`/dashboard/terminals?firmware=${p.id}`}>{terminalsUsing.get(p.id) ?? 0} terminal(s)</a>
              <br />
              <span class="muted">
                assigned to {terminalsAssigned.get(p.id) ?? 0} terminal(s) and {groupsAssigning.get(p.id) ?? 0} group(s)
              </span>
            </td>
            {may ? (
              <td>
                <DangerAction viewer={viewer} action={`/dashboard/firmware/${p.id}/delete`} summary={`Delete ${p.name} ${p.packageVersion}…`} button="Delete package" error={deleteError?.id === p.id ? deleteError.sentence : null}>
                  <input type="hidden" name="version" value={String(p.version)} />
                </DangerAction>
              </td>
            ) : null}
          </tr>
        ))}
      </Table>
      {may ? (
        <section aria-labelledby="upload-heading">
          <h2 id="upload-heading">Upload an image</h2>
          {deps.firmwareUploads ? null : <p class="warning">This handler has no object store to stream firmware to (a Worker): upload through a Node handler of the site.</p>}
          <noscript>
            <p class="warning">Uploading needs JavaScript (the image is streamed as it is, which a plain form cannot do), or `npx tandem firmware upload`.</p>
          </noscript>
          <form method="post" action={UPLOAD_PATH} data-upload={UPLOAD_PATH} aria-label="Upload a firmware image">
            <CsrfField viewer={viewer} />
            <UploadError field="form" id="upload-error" />
            <Field name="name" label="Package name" required />
            <UploadError field="name" id="upload-name-error" />
            <Field name="version" label="Version" required />
            <UploadError field="version" id="upload-version-error" />
            <div class="field">
              <label for="firmware-file">Image file</label>
              <input type="file" id="firmware-file" name="file" required aria-describedby="upload-file-error" />
            </div>
            <UploadError field="file" id="upload-file-error" />
            <progress hidden value={0} max={1} aria-label="Upload progress"></progress>
            <p data-upload-status role="status"></p>
            <button type="submit">Upload</button>
          </form>
        </section>
      ) : null}
    </Page>,
    status,
  );
}

/** Firmware packages: which terminals use each, upload from the browser (streamed to S3), delete. */
export function mountFirmware(app: Hono<DashboardEnv>, table: RouteTable): void {
  declarePage(app, table, { method: 'get', path: '/dashboard/firmware', access: access.read }, (c) => showFirmware(c));

  // The script sends the image as the body, with the CSRF token in a header; the answer is JSON.
  declarePage(app, table, { method: 'post', path: UPLOAD_PATH, access: access.configure, writes: true, streamsBody: true }, async (c) => {
    const { deps } = c.var;
    if (!deps.firmwareUploads)
      throw new DomainError(409, 'firmware_upload_unavailable', 'This handler has no object store to stream firmware to (a Worker): upload through a Node handler of the site.');
    const length = c.req.header('content-length');
    try {
      const { record } = await uploadFirmware(deps.db, deps.firmwareUploads, changeContextOf(c), {
        name: c.req.query('name') ?? '',
        version: c.req.query('version') ?? '',
        body: c.req.raw.body,
        declaredSize: length !== undefined && /^\d+$/.test(length) ? Number(length) : null,
      });
      return c.json({ location: withNotice('/dashboard/firmware', 'firmware-uploaded'), id: record.id }, 201);
    } catch (err) {
      if (err instanceof DomainError && aboutTheFile.has(err.code)) throw new DomainError(err.status, err.code, err.detail, { ...err.extra, field: 'file' });
      throw err;
    }
  });

  declarePage(app, table, { method: 'post', path: '/dashboard/firmware/{id}/delete', access: access.configure, writes: true }, async (c) => {
    const id = c.req.param('id')!;
    const removed = await removeRecord(c, 'firmware-package', id, text(await formOf(c), 'version'));
    if (removed.ok) return seeOther(c, withNotice('/dashboard/firmware', 'firmware-deleted'));
    return showFirmware(c, { id, sentence: removed.problems.form ?? '' }, removed.status);
  });
}

