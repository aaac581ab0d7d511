// The deep-linking return page: posts the signed link to the LMS at once. Without scripts the
// page's button does the same.
const form = document.querySelector("form[data-auto-submit]");
if (form) form.submit();
