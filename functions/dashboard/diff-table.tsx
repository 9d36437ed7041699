import { Table } from './components';
import { diffStates } from './view/record-diff';

/** Two states of a record side by side; what differs is marked (and named in words for screen readers). */
export const DiffTable = (props: { caption: string; left: string; right: string; leftState: Record<string, unknown> | null; rightState: Record<string, unknown> | null; changedOnly?: boolean }) => {
  const rows = diffStates(props.leftState, props.rightState, props.changedOnly);
  return (
    <div class="diff">
      <Table caption={props.caption} head={['Field', props.left, props.right]} rows={rows.length} empty="No field differs.">
        {rows.map((r) => (
          <tr>
            <th scope="row">
              {r.field}
              {r.changed ? <span class="visually-hidden"> (differs)</span> : null}
            </th>
            <td>{r.left === null ? <span class="muted">—</span> : r.changed ? <del>{r.left}</del> : <code>{r.left}</code>}</td>
            <td>{r.right === null ? <span class="muted">—</span> : r.changed ? <ins>{r.right}</ins> : <code>{r.right}</code>}</td>
          </tr>
        ))}
      </Table>
    </div>
  );
};
