// Unit tests of the scenario editor's model (editmodel.js): field paths as
// the server's errors write them, and the reading of those errors.

import assert from 'node:assert/strict';
import { describe, test } from 'node:test';

import { blankScenario, getPath, numberOrText, parsePath, setPath, splitError } from '../files/js/editmodel.js';

describe('field paths', () => {
  test('parsePath reads the engine\'s paths', () => {
    assert.deepEqual(parsePath('steps[2].at_ms'), ['steps', 2, 'at_ms']);
    assert.deepEqual(parsePath('faults[0].drop.flags[1]'), ['faults', 0, 'drop', 'flags', 1]);
    assert.deepEqual(parsePath('network.one_way_delay_ms'), ['network', 'one_way_delay_ms']);
    assert.equal(parsePath('steps[x]'), null);
    assert.equal(parsePath('__proto__ polluted'), null);
  });

  test('setPath and getPath', () => {
    const sc = blankScenario();
    setPath(sc, 'steps[1].at_ms', 50);
    assert.equal(sc.steps[1].at_ms, 50);
    assert.equal(getPath(sc, 'steps[1].at_ms'), 50);
    setPath(sc, 'options.msl_ms', 1000);
    assert.deepEqual(sc.options, { msl_ms: 1000 });
    // Blanking the last option removes the options object itself.
    setPath(sc, 'options.msl_ms', undefined);
    assert.equal('options' in sc, false);
    setPath(sc, 'network.one_way_delay_ms', undefined);
    assert.equal('network' in sc, false);
    assert.equal(getPath(sc, 'faults[3].drop.nth'), undefined);
    // Blanking what is not there changes nothing.
    setPath(sc, 'options.rto_min_ms', undefined);
    assert.equal('options' in sc, false);
  });

  test('numberOrText: numbers as numbers, blanks as nothing, the rest as typed', () => {
    assert.equal(numberOrText(' 200 '), 200);
    assert.equal(numberOrText('-1'), -1);
    assert.equal(numberOrText('1e3'), 1000);
    assert.equal(numberOrText(''), undefined);
    assert.equal(numberOrText('   '), undefined);
    assert.equal(numberOrText('12ms'), '12ms');
  });
});

describe('server errors', () => {
  test('splitError finds the field an error names', () => {
    assert.deepEqual(splitError('steps[2].at_ms: must be between 0 and 3600000'), { field: 'steps[2].at_ms', message: 'steps[2].at_ms: must be between 0 and 3600000' });
    assert.equal(splitError('faults[0].drop.flags: unknown flag "SYNN"').field, 'faults[0].drop.flags');
    assert.equal(splitError('steps[0].at_ms: must be a number in range, not string').field, 'steps[0].at_ms');
    assert.equal(splitError('invalid JSON at byte 3: x').field, '');
    assert.equal(splitError('the scenario cannot run: too many events').field, '');
  });
});
