import { describe, expect, it } from 'vitest';
import { answeredMessage, galleryListMessage, questionMessage, replyTargetOfBlock, textMessage } from '../../bots/slack/slack-blocks.js';

const EVIL = '<!channel> see <https://evil.example|see photo> & <@U0ALICE>';
const ESCAPED = '&lt;!channel&gt; see &lt;https://evil.example|see photo&gt; &amp; &lt;@U0ALICE&gt;';

describe('Slack messages', () => {
  it('escape &, < and > in the fallback text as well as in the blocks', () => {
    const question = questionMessage({ kind: 'question', id: '1.1', text: `Was it ${EVIL}?`, options: [{ label: 'Yes', value: 'yes' }], freeText: true, timeoutSeconds: 60 });
    const gallery = galleryListMessage({ kind: 'gallery', round: 2, items: [], query: EVIL, demo: false, options: [] });
    const text = textMessage({ kind: 'text', tone: 'info', text: EVIL });
    const answered = answeredMessage({ blocks: [] }, 'U0BOB', EVIL);
    expect(question.text).toBe(`Was it ${ESCAPED}?`);
    expect(gallery.text).toBe(`Top 0 for “${ESCAPED}”`);
    expect(text.text).toBe(ESCAPED);
    expect(answered.text).toBe(ESCAPED);
    for (const m of [question, gallery, text, answered]) expect(JSON.stringify(m)).not.toMatch(/<!channel>|<https:|<@U0ALICE>/);
  });

  it('name the question or gallery in the actions block id, and read only such ids back', () => {
    const question = questionMessage({ kind: 'question', id: '2.3', text: 'Hat?', options: [{ label: 'Yes', value: 'yes' }], freeText: false, timeoutSeconds: 0 });
    const actions = question.blocks!.find((b) => b.type === 'actions') as { block_id: string };
    expect(replyTargetOfBlock(actions.block_id)).toBe('q:2.3');
    expect(replyTargetOfBlock('ctgi_r_g:4')).toBe('g:4');
    for (const other of [undefined, 'ctgi_a_answers', 'ctgi_r_x:1', 'ctgi_r_q:', 'someone_else']) expect(replyTargetOfBlock(other)).toBeUndefined();
  });
});
