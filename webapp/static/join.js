// The join page: https://HOST/join#CODE. The code stays in the fragment, so it never reaches
// a server log; the page shows who the invitation is for and joins with one button.
import { call, firstName, setCallName } from '/app/api.js';

const $ = (id) => document.getElementById(id);
document.documentElement.classList.add('fonts');
const code = decodeURIComponent(location.hash.slice(1)).trim();
let residentId = '';

const problems = {
  invalid_code: ['This invitation link does not work',
    'The link may have been cut short when it was copied. Open the link again from the message or card you got. If it still does not work, ask the care home for a new invitation.'],
  invalid: ['This invitation link does not work',
    'The link may have been cut short when it was copied. Open the link again from the message or card you got. If it still does not work, ask the care home for a new invitation.'],
  code_used: ['This invitation has been used already',
    'Each invitation connects one phone or computer, and this one is connected already. If that was not you, tell the care home. To connect this phone, ask the care home for a new invitation.'],
  code_expired: ['This invitation no longer works',
    'It has expired, or the care home cancelled it. Ask the care home for a new invitation.'],
  code_burned: ['This invitation was blocked',
    'Someone typed a wrong code too many times, so it was blocked to keep your family safe. Ask the care home for a new invitation.'],
  rate_limited: ['Please wait a minute',
    'There were too many tries from this network. Wait a minute, then open the link again.'],
  offline: ['Hearth cannot reach the care home',
    'Check that this phone is online, then press Try again.'],
};

function showProblem(p) {
  const [title, text] = problems[p.code] || ['Something went wrong', 'Please try again in a moment. If it keeps happening, ask the care home for a new invitation.'];
  $('preview').hidden = true;
  $('state').hidden = true;
  $('title').textContent = title;
  $('problem-title').textContent = 'What to do';
  $('problem-text').textContent = text;
  $('retry').hidden = !(p.code === 'offline' || !problems[p.code]);
  $('problem').hidden = false;
}

async function preview() {
  $('problem').hidden = true;
  $('state').hidden = false;
  $('state').textContent = 'Checking your invitation…';
  if (!code) {
    showProblem({ code: 'invalid' });
    return;
  }
  try {
    const pv = await call('POST', '/web/join/preview', { code });
    $('home').textContent = pv.facility;
    $('person').textContent = pv.person + (pv.relation ? ' (' + pv.relation.toLowerCase() + ')' : '');
    residentId = pv.resident_id || '';
    if (pv.resident) {
      $('resident').textContent = pv.resident;
      $('resident-first').textContent = firstName(pv.resident);
      $('join').textContent = 'Join ' + firstName(pv.resident) + "'s circle";
    } else {
      $('circle-line').hidden = true;
      $('callname').hidden = true;
      document.querySelector('label[for=callname]').hidden = true;
      $('join').textContent = 'Join Hearth';
    }
    $('title').textContent = 'Welcome to Hearth at ' + pv.facility;
    $('state').textContent = 'Your invitation is ready.';
    $('preview').hidden = false;
  } catch (p) {
    showProblem(p);
  }
}

$('join').addEventListener('click', async () => {
  $('join').disabled = true;
  $('state').textContent = 'Joining…';
  try {
    const r = await call('POST', '/web/join', { code });
    // Another person may have used this browser: what it remembered for opening offline goes.
    try { localStorage.removeItem('hearth.shell'); } catch (e) { /* nothing kept */ }
    // Remembered on this phone only, from now on (also for opening offline): what the person
    // calls the resident ("Mum").
    if (residentId) setCallName(residentId, $('callname').value.trim());
    location.replace('/');
  } catch (p) {
    $('join').disabled = false;
    showProblem(p);
  }
});
$('retry').addEventListener('click', preview);
preview();
