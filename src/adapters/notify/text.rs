//! One message from a batch of notifications: a title and a plain text, the same for every
//! channel (plain text: no markup to escape, nothing a receiver could render as a link or a
//! mention by accident).

use crate::ports::outbox::Notification;

/// A batch as one message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    /// Subject line (e-mail) or first line.
    pub title: String,
    /// The whole text, title included, at most `max_chars` characters.
    pub text: String,
}

/// Renders `batch` (not empty) in at most `max_chars` characters: one notification is its
/// title and body; several are counted in the title and listed, oldest first. The deliverer
/// sends only as many as fit whole ([`fits`]); a single one that is too long is cut with `…`.
pub fn render(batch: &[Notification], max_chars: usize) -> Rendered {
    let (title, text) = match batch {
        [one] => (
            one.item.title.clone(),
            format!("{}\n{}", one.item.title, one.item.body),
        ),
        many => {
            let title = format!("{} notifications", many.len());
            let mut text = title.clone();
            for n in many {
                text.push_str("\n\n• ");
                text.push_str(&n.item.title);
                if !n.item.body.is_empty() {
                    text.push('\n');
                    text.push_str(&n.item.body);
                }
            }
            (title, text)
        }
    };
    Rendered {
        title,
        text: cut(&text, max_chars),
    }
}

/// How many of `batch`'s first notifications fit in one message of `max_chars` (at least one).
pub fn fits(batch: &[Notification], max_chars: usize) -> usize {
    (1..=batch.len())
        .rev()
        .find(|&n| {
            let r = render(&batch[..n], usize::MAX);
            r.text.chars().count() <= max_chars
        })
        .unwrap_or(1)
}

fn cut(text: &str, max_chars: usize) -> String {
    if text.chars().count() <= max_chars {
        return text.to_string();
    }
    let mut out: String = text.chars().take(max_chars.saturating_sub(1)).collect();
    out.push('…');
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ports::outbox::{ChannelKind, NewNotification, OutboxState};
    use crate::ports::store::EventLevel;

    fn n(id: i64, title: &str, body: &str) -> Notification {
        Notification {
            id,
            item: NewNotification {
                channel: ChannelKind::Telegram,
                dedup_key: format!("event:{id}"),
                kind: "fill".into(),
                level: EventLevel::Info,
                title: title.into(),
                body: body.into(),
                event_ms: 0,
            },
            state: OutboxState::Sending,
            attempts: 0,
            created_ms: 0,
            next_attempt_ms: 0,
            sent_ms: None,
            last_error: None,
        }
    }

    #[test]
    fn one_is_title_and_body_several_are_counted_and_listed() {
        let one = render(&[n(1, "Fill", "B1 BUY 1 at 2")], 100);
        assert_eq!(one.title, "Fill");
        assert_eq!(one.text, "Fill\nB1 BUY 1 at 2");
        let two = render(&[n(1, "A", "a"), n(2, "B", "b")], 100);
        assert_eq!(two.title, "2 notifications");
        assert_eq!(two.text, "2 notifications\n\n• A\na\n\n• B\nb");
    }

    #[test]
    fn only_whole_notifications_that_fit_are_batched_and_one_long_one_is_cut() {
        let batch: Vec<_> = (1..=10).map(|i| n(i, "Fill", &"x".repeat(40))).collect();
        let k = fits(&batch, 200);
        assert!((2..10).contains(&k), "{k}");
        assert!(render(&batch[..k], 200).text.chars().count() <= 200);
        assert!(render(&batch[..k + 1], usize::MAX).text.chars().count() > 200);
        let long = render(&[n(1, "Fill", &"y".repeat(500))], 50);
        assert_eq!(long.text.chars().count(), 50);
        assert!(long.text.ends_with('…'));
        assert_eq!(fits(&[n(1, "Fill", &"y".repeat(500))], 50), 1);
    }
}
