// The widget's whole style sheet. It lives inside the widget's shadow root, so
// no selector of the host page reaches the widget's elements. Inherited
// properties (font, colour) would still flow in through the host element, so
// :host resets everything with `all: initial` and then sets each value itself;
// its declarations are !important because, across a shadow boundary, an
// important declaration of the inner tree beats the outer page's important
// ones (the page may say `* { font-size: 80px !important }`). Every size is in
// px: rem follows the host page's root font size.
export const styles = `
:host {
  all: initial !important;
  display: block !important;
  position: fixed !important;
  right: 20px !important;
  bottom: 20px !important;
  left: auto !important;
  top: auto !important;
  width: auto !important;
  height: auto !important;
  margin: 0 !important;
  padding: 0 !important;
  border: 0 !important;
  z-index: 2147483000 !important;
  visibility: visible !important;
  opacity: 1 !important;
  transform: none !important;
  font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif !important;
  font-size: 14px !important;
  line-height: 20px !important;
  color: #1f2430 !important;
  text-align: left !important;
  direction: ltr !important;
}
*, *::before, *::after { box-sizing: border-box; }
[hidden] { display: none !important; }
.sr-only {
  position: absolute; width: 1px; height: 1px; margin: -1px; padding: 0;
  overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; border: 0;
}
button, input, textarea {
  font: inherit; color: inherit; letter-spacing: normal; text-transform: none;
}
button { cursor: pointer; }
:focus-visible { outline: 2px solid #4f46e5; outline-offset: 2px; }

.launcher {
  display: flex; align-items: center; justify-content: center;
  position: relative; margin: 0 0 0 auto;
  width: 60px; height: 60px; padding: 0; border: 0; border-radius: 30px;
  background: #4f46e5; color: #fff;
  box-shadow: 0 6px 20px rgba(49, 46, 129, 0.35), 0 2px 6px rgba(0, 0, 0, 0.12);
  transition: transform 0.15s ease, background 0.15s ease;
}
.launcher:hover { background: #4338ca; transform: translateY(-1px); }
.launcher svg { width: 28px; height: 28px; display: block; fill: currentColor; }
.badge {
  position: absolute; top: -4px; right: -4px;
  min-width: 22px; height: 22px; padding: 0 6px; border-radius: 11px;
  background: #e11d48; color: #fff; border: 2px solid #fff;
  font-size: 12px; line-height: 18px; font-weight: 700; text-align: center;
}

.panel {
  display: flex; flex-direction: column;
  width: 370px; height: 560px; max-height: calc(100vh - 110px);
  margin: 0 0 14px 0; overflow: hidden;
  background: #fff; border-radius: 16px;
  box-shadow: 0 18px 50px rgba(15, 23, 42, 0.22), 0 3px 10px rgba(15, 23, 42, 0.08);
  border: 1px solid rgba(15, 23, 42, 0.06);
}
.head {
  display: flex; align-items: center; gap: 12px;
  padding: 16px 16px 14px 18px;
  background: linear-gradient(135deg, #4f46e5 0%, #6d28d9 100%); color: #fff;
}
.avatar {
  flex: 0 0 auto; width: 38px; height: 38px; border-radius: 19px;
  background: rgba(255, 255, 255, 0.2); color: #fff;
  display: flex; align-items: center; justify-content: center;
  font-weight: 700; font-size: 15px;
}
.avatar svg { width: 20px; height: 20px; fill: currentColor; display: block; }
.head-text { flex: 1 1 auto; min-width: 0; }
.title { font-size: 16px; line-height: 20px; font-weight: 650; margin: 0; }
.subtitle { font-size: 12.5px; line-height: 17px; opacity: 0.85; margin: 2px 0 0 0;
  white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.icon-button {
  flex: 0 0 auto; width: 32px; height: 32px; border-radius: 8px; border: 0; padding: 0;
  background: transparent; color: #fff; display: flex; align-items: center; justify-content: center;
}
.icon-button:hover { background: rgba(255, 255, 255, 0.16); }
.icon-button svg { width: 18px; height: 18px; fill: currentColor; display: block; }

.banner {
  padding: 7px 14px; background: #fff7ed; color: #9a3412;
  border-bottom: 1px solid #fed7aa; font-size: 12.5px; line-height: 17px; text-align: center;
}
.banner.error { background: #fef2f2; color: #991b1b; border-color: #fecaca; }

.log {
  flex: 1 1 auto; overflow-y: auto; padding: 14px 14px 6px 14px;
  background: #f7f7fb; display: flex; flex-direction: column; gap: 6px;
  overscroll-behavior: contain;
}
.earlier {
  align-self: center; margin: 0 0 6px 0; padding: 4px 12px; border-radius: 12px;
  border: 1px solid #dcdcf0; background: #fff; color: #4f46e5; font-size: 12px; line-height: 18px;
}
.welcome {
  margin: 6px 4px 10px 4px; padding: 14px 16px; border-radius: 12px;
  background: #fff; border: 1px solid #ececf5; color: #3b3f4e; font-size: 13.5px; line-height: 19px;
}
.welcome strong { display: block; font-size: 14.5px; margin: 0 0 4px 0; color: #1f2430; }

.msg { display: flex; flex-direction: column; max-width: 82%; }
.msg.me { align-self: flex-end; align-items: flex-end; }
.msg.agent, .msg.bot { align-self: flex-start; align-items: flex-start; }
.msg.system { align-self: center; align-items: center; max-width: 92%; }
.who { font-size: 11.5px; line-height: 15px; color: #6b7083; margin: 4px 6px 2px 6px; }
.bubble {
  padding: 8px 12px; border-radius: 16px; font-size: 14px; line-height: 20px;
  white-space: pre-wrap; overflow-wrap: anywhere; word-break: normal;
}
.me .bubble { background: #4f46e5; color: #fff; border-bottom-right-radius: 5px; }
.agent .bubble, .bot .bubble {
  background: #fff; color: #1f2430; border: 1px solid #e7e7f1; border-bottom-left-radius: 5px;
}
.bot .bubble { background: #f0fdf4; border-color: #d1f0dc; }
.system .bubble {
  background: transparent; color: #6b7083; font-size: 12px; line-height: 16px; padding: 2px 8px; text-align: center;
}
.msg.pending .bubble { opacity: 0.6; }
.msg.failed .bubble { background: #fee2e2; color: #991b1b; }
.redacted { font-style: italic; opacity: 0.7; }
.meta { font-size: 11px; line-height: 14px; color: #8a8fa3; margin: 3px 6px 0 6px; }
.receipt { font-size: 11px; line-height: 14px; color: #4f46e5; margin: 2px 6px 0 6px; font-weight: 600; }

.quick { display: flex; flex-wrap: wrap; gap: 6px; margin: 6px 0 2px 0; }
/* Quick replies answer the latest message of a chat still going on. */
.msg:not(:last-child) .quick, .panel.ended .quick, .panel.ended .card-actions button { display: none; }
.quick button, .card-actions button, .card-actions a {
  padding: 6px 12px; border-radius: 16px; border: 1px solid #c7c5f4; background: #fff;
  color: #4338ca; font-size: 13px; line-height: 18px; text-decoration: none; display: inline-block;
}
.quick button:hover, .card-actions button:hover, .card-actions a:hover { background: #eef2ff; }
.card {
  width: 250px; border-radius: 14px; overflow: hidden; background: #fff; border: 1px solid #e7e7f1;
}
.cards { display: flex; gap: 8px; overflow-x: auto; max-width: 300px; padding-bottom: 4px; }
.card img { display: block; width: 100%; height: 130px; object-fit: cover; background: #eef; }
.card-body { padding: 10px 12px; }
.card-title { font-weight: 650; font-size: 14px; line-height: 19px; margin: 0; color: #1f2430; }
.card-subtitle { font-size: 12.5px; line-height: 17px; color: #6b7083; margin: 2px 0 0 0; }
.card-text { font-size: 13px; line-height: 18px; color: #3b3f4e; margin: 6px 0 0 0; white-space: pre-wrap; }
.card-actions { display: flex; flex-wrap: wrap; gap: 6px; padding: 0 12px 12px 12px; }
.file {
  display: flex; align-items: center; gap: 10px; padding: 10px 12px; border-radius: 14px;
  background: #fff; border: 1px solid #e7e7f1; color: #1f2430; text-decoration: none; max-width: 260px;
}
.me .file { border-color: #c7c5f4; }
.file-icon {
  flex: 0 0 auto; width: 34px; height: 34px; border-radius: 8px; background: #eef2ff; color: #4f46e5;
  display: flex; align-items: center; justify-content: center; font-size: 11px; font-weight: 700;
}
.file-name { font-weight: 600; font-size: 13px; line-height: 18px; color: #4338ca; overflow-wrap: anywhere; }
.file-size { font-size: 11.5px; line-height: 15px; color: #8a8fa3; }

.typing {
  display: flex; align-items: center; gap: 8px; padding: 4px 18px 6px 18px;
  background: #f7f7fb; color: #6b7083; font-size: 12px; line-height: 16px;
}
.dots { display: inline-flex; gap: 3px; }
.dots i { width: 6px; height: 6px; border-radius: 3px; background: #9ca3c4; display: block;
  animation: parley-blink 1.2s infinite ease-in-out; }
.dots i:nth-child(2) { animation-delay: 0.2s; }
.dots i:nth-child(3) { animation-delay: 0.4s; }
@keyframes parley-blink { 0%, 80%, 100% { opacity: 0.3; } 40% { opacity: 1; } }
@media (prefers-reduced-motion: reduce) { .dots i { animation: none; } }

.survey, .closed {
  padding: 16px 18px; border-top: 1px solid #ececf5; background: #fff; text-align: center;
}
.survey h3, .closed h3 { margin: 0 0 4px 0; font-size: 15px; line-height: 20px; font-weight: 650; color: #1f2430; }
.survey p, .closed p { margin: 0 0 10px 0; font-size: 13px; line-height: 18px; color: #6b7083; }
.stars { display: flex; justify-content: center; gap: 6px; margin: 0 0 10px 0; }
.stars button {
  width: 42px; height: 42px; border-radius: 10px; border: 1px solid #e3e3ef; background: #fafaff;
  font-size: 22px; line-height: 22px; color: #f59e0b; padding: 0;
}
.stars button:hover, .stars button:focus-visible { background: #fff7e6; border-color: #f5c15b; }
.resolved { display: inline-flex; align-items: center; gap: 6px; font-size: 13px; line-height: 18px; color: #3b3f4e; }
.resolved input { width: 16px; height: 16px; margin: 0; accent-color: #4f46e5; }
.link-button { border: 0; background: transparent; color: #6b7083; font-size: 12.5px; text-decoration: underline; padding: 4px; margin-top: 6px; }
.primary {
  padding: 9px 18px; border-radius: 10px; border: 0; background: #4f46e5; color: #fff;
  font-weight: 600; font-size: 14px; line-height: 20px;
}
.primary:hover { background: #4338ca; }

.composer {
  display: flex; align-items: flex-end; gap: 8px; padding: 10px 12px 12px 14px;
  border-top: 1px solid #ececf5; background: #fff; margin: 0;
}
.composer textarea {
  flex: 1 1 auto; resize: none; height: 40px; max-height: 110px; min-height: 40px;
  padding: 9px 12px; border: 1px solid #dcdce8; border-radius: 12px; background: #fff;
  font-size: 14px; line-height: 20px; color: #1f2430; outline: none; display: block; width: 100%;
}
.composer textarea:focus { border-color: #818cf8; box-shadow: 0 0 0 3px rgba(99, 102, 241, 0.15); }
.send {
  flex: 0 0 auto; width: 40px; height: 40px; border-radius: 12px; border: 0; padding: 0;
  background: #4f46e5; color: #fff; display: flex; align-items: center; justify-content: center;
}
.send:disabled { background: #c7c9de; cursor: default; }
.send svg { width: 18px; height: 18px; fill: currentColor; display: block; }
@media (max-width: 480px) {
  :host { right: 12px !important; bottom: 12px !important; }
  .panel { width: calc(100vw - 24px); height: calc(100vh - 96px); }
}
.powered { text-align: center; font-size: 10.5px; line-height: 14px; color: #a3a7b8; padding: 0 0 8px 0; background: #fff; }
`;
