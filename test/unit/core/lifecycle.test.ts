import { describe, expect, it, vi } from 'vitest';
import { type Component, ComponentGroup } from '../../../core/lifecycle.ts';
import { silentLogger } from '../../../core/log.ts';

interface FakeOptions {
  failStart?: boolean;
  failStop?: boolean;
}

/** A component that records its start and stop calls in a shared journal. */
function fake(name: string, journal: string[], options: FakeOptions = {}): Component {
  let running = false;
  return {
    name,
    async start() {
      journal.push(`start ${name}`);
      if (options.failStart) throw new Error(`${name} cannot start`);
      running = true;
    },
    async stop() {
      journal.push(`stop ${name}`);
      running = false;
      if (options.failStop) throw new Error(`${name} cannot stop`);
    },
    ready: () => running,
  };
}

describe('ComponentGroup', () => {
  it('starts its components in the order they were added', async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger())
      .add(fake('source', journal))
      .add(fake('shipper', journal))
      .add(fake('sink', journal));
    await group.start();
    expect(journal).toEqual(['start source', 'start shipper', 'start sink']);
  });

  it('waits for each component to start before starting the next', async () => {
    const journal: string[] = [];
    const slow: Component = {
      name: 'slow',
      async start() {
        await new Promise((resolve) => setTimeout(resolve, 10));
        journal.push('started slow');
      },
      async stop() {},
      ready: () => true,
    };
    const group = new ComponentGroup(silentLogger()).add(slow).add(fake('next', journal));
    await group.start();
    expect(journal).toEqual(['started slow', 'start next']);
  });

  it('stops its components in reverse order', async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger())
      .add(fake('source', journal))
      .add(fake('shipper', journal))
      .add(fake('sink', journal));
    await group.start();
    journal.length = 0;
    await group.stop();
    expect(journal).toEqual(['stop sink', 'stop shipper', 'stop source']);
  });

  it('lists its components in the order they were added', () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger()).add(fake('a', journal)).add(fake('b', journal));
    expect(group.components.map((c) => c.name)).toEqual(['a', 'b']);
  });

  it('stops each component once when stopped twice', async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger()).add(fake('source', journal)).add(fake('sink', journal));
    await group.start();
    journal.length = 0;
    await group.stop();
    await group.stop();
    expect(journal).toEqual(['stop sink', 'stop source']);
  });

  it('gives concurrent stop calls the same stop', async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger()).add(fake('source', journal));
    await group.start();
    journal.length = 0;
    await Promise.all([group.stop(), group.stop()]);
    expect(journal).toEqual(['stop source']);
  });

  it('keeps stopping the other components when one fails to stop', async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger())
      .add(fake('source', journal))
      .add(fake('shipper', journal, { failStop: true }))
      .add(fake('sink', journal));
    await group.start();
    journal.length = 0;
    await expect(group.stop()).resolves.toBeUndefined();
    expect(journal).toEqual(['stop sink', 'stop shipper', 'stop source']);
  });

  it('logs a component that fails to stop, naming it', async () => {
    const logger = silentLogger();
    const error = vi.spyOn(logger, 'error');
    const group = new ComponentGroup(logger).add(fake('shipper', [], { failStop: true }));
    await group.start();
    await group.stop();
    expect(error).toHaveBeenCalledTimes(1);
    expect(error.mock.calls[0]?.[0]).toMatchObject({ component: 'shipper' });
  });

  it('rejects start with the error of a component that fails to start', async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger())
      .add(fake('source', journal))
      .add(fake('shipper', journal, { failStart: true }))
      .add(fake('sink', journal));
    await expect(group.start()).rejects.toThrow('shipper cannot start');
    expect(journal).toEqual(['start source', 'start shipper']);
  });

  it('stops only the components that started when a start failed', async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger())
      .add(fake('source', journal))
      .add(fake('shipper', journal, { failStart: true }))
      .add(fake('sink', journal));
    await group.start().catch(() => {});
    journal.length = 0;
    await group.stop();
    expect(journal).toEqual(['stop source']);
  });

  it('stops nothing when it was never started', async () => {
    const journal: string[] = [];
    const group = new ComponentGroup(silentLogger()).add(fake('source', journal));
    await group.stop();
    expect(journal).toEqual([]);
  });
});
