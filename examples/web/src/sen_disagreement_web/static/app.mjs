// The GOV.UK Frontend components, started from a file (the pages' CSP allows no inline script).
import { initAll } from './govuk/govuk-frontend.min.js'

document.body.classList.add('js-enabled', 'govuk-frontend-supported')
initAll()
