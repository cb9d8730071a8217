// Time for leases: a moment on both clocks, and the time since it by the clock that saw more.
/** A moment on both clocks: the monotonic one ignores clock changes, the wall clock also runs while the machine sleeps. */
export interface Instant {
  mono: number;
  wall: number;
}
export const instant = (): Instant => ({ mono: performance.now(), wall: Date.now() });
/** Time since `t` by the clock that saw more of it; a wall clock set back counts as forever. */
export function elapsedSince(t: Instant): number {
  const wall = Date.now() - t.wall;
  return wall < 0 ? Infinity : Math.max(performance.now() - t.mono, wall);
}
