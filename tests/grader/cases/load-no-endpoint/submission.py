def reply_to(message: str) -> str:
    return f"Message text was: {message}"


print(reply_to("Hello"))
