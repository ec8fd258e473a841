/* placeholder: replaced by the real test */
int main(void);
int
main(void)
{
	return 77;
}
