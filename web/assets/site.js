// The demo shop embeds the visitor widget exactly as an integrator would, with
// one <script> tag. Against a --dev broker the visitor is a made-up user id,
// generated once and remembered by this browser so that the conversation
// survives reloads. `?token-url=/path` uses an integrator's token endpoint
// instead (a broker without --dev); `?visitor=ID&name=NAME` picks the dev user.
const params = new URLSearchParams(location.search);

function visitorId() {
  const key = 'fernhill.visitor';
  try {
    let id = localStorage.getItem(key);
    if (!id) {
      const random = crypto.randomUUID ? crypto.randomUUID().slice(0, 8) : Math.random().toString(16).slice(2, 10);
      id = `visitor-${random}`;
      localStorage.setItem(key, id);
    }
    return id;
  } catch {
    return `visitor-${Math.random().toString(16).slice(2, 10)}`;
  }
}

const tag = document.createElement('script');
tag.type = 'module';
tag.src = '/widget.js';
tag.dataset.title = 'Fernhill Tea';
tag.dataset.subtitle = 'Ask us about teas, orders and deliveries';
tag.dataset.greeting = 'Hello, tea lover!';
tag.dataset.intro = 'Write us a message: someone from the shop will answer right here.';
tag.dataset.skill = params.get('skill') || 'sales';
if (params.get('token-url')) tag.dataset.tokenUrl = params.get('token-url');
else {
  tag.dataset.devUser = params.get('visitor') || visitorId();
  // A friendly name for the agents' inbox: "Guest" and the id's last four characters.
  tag.dataset.name = params.get('name') || `Guest ${tag.dataset.devUser.slice(-4).toUpperCase()}`;
}
if (params.get('url')) tag.dataset.url = params.get('url');
document.body.append(tag);
