/** One scheduled expiry: `key` was written (or touched) as `generation` and expires at `expiresAt`. */
export interface ExpiryItem {
  expiresAt: number;
  key: string;
  generation: number;
}

/**
 * A binary min-heap of expiries, earliest first. `MemoryStore` pushes an item when a write or
 * touch moves an entry's expiry earlier than its queued item (a later expiry is re-pushed only
 * when the earlier item comes due) and never removes superseded items in place; a popped item
 * whose `generation` no longer matches the stored entry is simply stale. This keeps reclaiming
 * expired sessions at O(log n) each instead of a full scan per write.
 */
export class ExpiryQueue {
  #items: ExpiryItem[] = [];

  get size(): number {
    return this.#items.length;
  }

  peek(): ExpiryItem | undefined {
    return this.#items[0];
  }

  push(item: ExpiryItem): void {
    const items = this.#items;
    items.push(item);
    let index = items.length - 1;
    while (index > 0) {
      const parent = (index - 1) >> 1;
      if (items[parent]!.expiresAt <= item.expiresAt) break;
      items[index] = items[parent]!;
      index = parent;
    }
    items[index] = item;
  }

  pop(): ExpiryItem | undefined {
    const items = this.#items;
    const top = items[0];
    const last = items.pop();
    if (top !== undefined && last !== undefined && items.length > 0) {
      items[0] = last;
      this.#siftDown(0);
    }
    return top;
  }

  /** Replaces the content with `items` (used to drop accumulated stale items). */
  rebuild(items: Iterable<ExpiryItem>): void {
    this.#items = Array.from(items);
    for (let index = (this.#items.length >> 1) - 1; index >= 0; index--) this.#siftDown(index);
  }

  clear(): void {
    this.#items = [];
  }

  #siftDown(start: number): void {
    const items = this.#items;
    const item = items[start]!;
    let index = start;
    for (;;) {
      const left = 2 * index + 1;
      if (left >= items.length) break;
      const right = left + 1;
      const child = right < items.length && items[right]!.expiresAt < items[left]!.expiresAt ? right : left;
      if (items[child]!.expiresAt >= item.expiresAt) break;
      items[index] = items[child]!;
      index = child;
    }
    items[index] = item;
  }
}
