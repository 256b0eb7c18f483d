import type { GalleryItem } from '../../src/conversation/conversation-types.js';
import type { Gallery } from '../../src/gallery/gallery.js';

// A ranking as gallery tiles: rank, path, camera and capture time from the gallery, the witness's picks
// and the MLLM's anchors marked. The dialogue's galleries and the operator's re-orderings both build them.

/** One ranked image before it becomes a tile. */
export interface RankedTile {
  id: number;
  score: number;
  cosine: number;
  /** It leads the ranking as an MLLM anchor (or a pick). */
  leading: boolean;
}

/** Tiles for `ranking` in its order (ranks 1…n); images the gallery no longer has are skipped. */
export async function galleryItems(gallery: Gallery, ranking: readonly RankedTile[], picked: readonly number[]): Promise<GalleryItem[]> {
  const records = await gallery.getMany(ranking.map((r) => r.id));
  return ranking.flatMap((r, i) => {
    const rec = records.get(r.id);
    if (!rec) return [];
    const mark = picked.includes(r.id) ? ({ mark: 'picked' } as const) : r.leading ? ({ mark: 'anchor' } as const) : {};
    return [{ rank: i + 1, imageId: r.id, path: rec.path, score: r.score, cosine: r.cosine, anchor: r.leading || picked.includes(r.id), ...mark, ...(rec.camera ? { camera: rec.camera } : {}), ...(rec.capturedAt ? { takenAt: rec.capturedAt } : {}) }];
  });
}
