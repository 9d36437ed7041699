import { describe, expect, it } from 'vitest';
import { displayClientInput, terminalInput, terminalServerInput } from '../../domain/record-inputs';
import { displayClientFromForm, terminalFromForm, terminalServerFromForm } from './record-forms';

describe('forms as API input', () => {
  it('reads a terminal form: blanks inherit, the display clients in the order chosen', () => {
    const { input, problems } = terminalFromForm({
      mac: ' AA-BB-CC-00-00-01 ',
      name: 'press-1',
      groupId: 'g1',
      hardwareModel: '',
      videoResolution: '1920x1080',
      firmwarePackageId: '',
      displayClientIds: ['dc-2', '', 'dc-1', 'dc-2'],
      options: '{"keyboard": "de"}',
    });
    expect(problems).toEqual({ form: null, fields: {} });
    expect(input).toEqual({
      mac: 'AA-BB-CC-00-00-01',
      name: 'press-1',
      groupId: 'g1',
      hardwareModel: null,
      videoResolution: '1920x1080',
      firmwarePackageId: null,
      displayClientIds: ['dc-2', 'dc-1'],
      options: { keyboard: 'de' },
    });
    expect(terminalInput.safeParse(input).success).toBe(true);
  });

  it('inherits the display clients when asked, and says when options are not a JSON object', () => {
    const { input, problems } = terminalFromForm({ mac: 'aa:bb:cc:00:00:01', name: 't', inheritDisplayClients: 'on', displayClientIds: 'dc-1', options: '[1, 2]' });
    expect(input.displayClientIds).toBeNull();
    expect(problems.fields.options).toBe('Options must be a JSON object, such as {"keyboard": "de"}.');
  });

  it('reads a display client with its servers in order', () => {
    const { input } = displayClientFromForm({ name: 'hmi', type: 'rdp', failoverMode: 'failover', terminalServerIds: ['s2', 's1'], settings: '' });
    expect(input).toEqual({ name: 'hmi', type: 'rdp', failoverMode: 'failover', terminalServerIds: ['s2', 's1'], settings: {} });
    expect(displayClientInput.safeParse(input).success).toBe(true);
  });

  it('leaves a port that is not a number for the schema to refuse', () => {
    expect(terminalServerInput.safeParse(terminalServerFromForm({ name: 'rds', host: '10.0.0.1', port: '3389', enabled: 'on' }).input).data).toEqual({
      name: 'rds',
      host: '10.0.0.1',
      port: 3389,
      enabled: true,
    });
    const refused = terminalServerInput.safeParse(terminalServerFromForm({ name: 'rds', host: '10.0.0.1', port: 'rdp' }).input);
    expect(refused.error?.issues[0]).toMatchObject({ path: ['port'], code: 'invalid_type' });
  });
});
