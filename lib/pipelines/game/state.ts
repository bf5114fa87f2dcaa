import type { PlayerState } from "./types";

/** Per-user state of the game, in memory (a restart starts everyone afresh, as the course's app). */
export class PlayerStore {
  private readonly players = new Map<string, PlayerState>();

  /** The player's state (a fresh one for a new user); a copy, so callers cannot change it. */
  get(user: string): PlayerState {
    const p = this.players.get(user);
    return p === undefined ? { user, inventory: {}, guild: null } : { user, inventory: { ...p.inventory }, guild: p.guild };
  }

  addItems(user: string, item: string, quantity: number): PlayerState {
    const p = this.get(user);
    p.inventory[item] = (p.inventory[item] ?? 0) + quantity;
    this.players.set(user, p);
    return this.get(user);
  }

  joinGuild(user: string, guild: string): PlayerState {
    const p = this.get(user);
    p.guild = guild;
    this.players.set(user, p);
    return this.get(user);
  }

  users(): string[] {
    return [...this.players.keys()].sort();
  }
}
