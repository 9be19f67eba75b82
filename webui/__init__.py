"""The Gradio front end's parts: what each tab shows, as HTML and table rows, and the staff
actions behind its buttons. app.py wires them into the Blocks; every decision about
reports and answers lives in AssistantService."""
