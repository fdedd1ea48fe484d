// The real kernel as a peer (the server's -kernel-peer): on a page opened
// with ?peer=kernel the scenario runs on the server with this machine's Linux
// kernel at the server's end, with ?peer=kernel-client at the client's (GET
// /api/kernel/scenarios/{id}/trace, POST /api/kernel/run, ?role=). The kernel's timers run in real time, so the run is over
// before its trace comes back, and the page then plays it as it plays a
// recorded run: step, play, back and reset work; socket calls and dropping
// segments need the simulator and are refused.

import { Replay } from './replay.js';

export class KernelReplay extends Replay {
  /** running is told when a run against the kernel starts and ends. */
  constructor(deliver, t, running = () => {}, role = 'server') {
    super(deliver, t);
    this.running = running;
    this.role = role;
  }

  async load(scenario) {
    this.stop();
    this.events = [];
    this.cursor = 0;
    const custom = typeof scenario !== 'string';
    if (custom && !scenario?.steps?.length) {
      this.deliver({ type: 'loaded', scenario, endpoints: null });
      this.deliver({ type: 'error', message: this.t('kernel.sandbox') });
      return;
    }
    this.running(true);
    try {
      const role = `role=${encodeURIComponent(this.role)}`;
      const res = custom
        ? await fetch(`/api/kernel/run?${role}`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(scenario) })
        : await fetch(`/api/kernel/scenarios/${encodeURIComponent(scenario)}/trace?${role}`);
      const body = await res.json();
      if (!res.ok) throw new Error(body.error ?? res.statusText);
      this.events = body.events;
      this.deliver({ type: 'loaded', scenario: body.scenario, endpoints: body.endpoints });
    } catch (err) {
      this.deliver({ type: 'error', message: String(err.message ?? err) });
    } finally {
      this.running(false);
    }
  }

  handle(msg) {
    if (msg.type === 'call' || msg.type === 'fault') {
      this.deliver({ type: 'error', message: this.t('kernel.no_actions') });
      return;
    }
    super.handle(msg);
  }
}

/**
 * startKernel makes session run its scenarios against the kernel, at the
 * end role names ('server' or 'client'), instead of opening /ws, and sends
 * what it had queued.
 */
export function startKernel(session, t, role = 'server') {
  const store = session.store;
  store.kernelRole = role;
  session.transport = new KernelReplay((msg) => session.receive(msg), t, (on) => {
    store.kernelRunning = on;
    store.emit('connection');
  }, role);
  session.setConnection('kernel');
  const queued = session.queue;
  session.queue = [];
  for (const m of queued) session.transport.send(m);
  // A classroom room follows a live session: there is none here.
  const room = document.getElementById('room-open');
  if (room) room.hidden = true;
}

/**
 * kernelURL is this page's address with the kernel off (peer empty) or at
 * the end peer names: 'kernel' (the server) or 'kernel-client'.
 */
export function kernelURL(href, peer) {
  const u = new URL(href);
  if (peer) u.searchParams.set('peer', peer);
  else u.searchParams.delete('peer');
  return u.toString();
}
