/**
 * Every Redis key name lessor uses comes from here. All keys share one hash tag `{prefix}` so
 * multi-key Lua scripts stay in one slot under Redis Cluster.
 */
export class RedisKeys {
  readonly tag: string;
  constructor(prefix: string) {
    this.tag = `{${prefix}}`;
  }
  key(...parts: string[]): string {
    return [this.tag, ...parts].join(':');
  }
}
